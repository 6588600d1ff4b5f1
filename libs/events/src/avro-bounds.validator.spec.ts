import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { avroLong } from '@vigil/testing';
import { AvroBoundsValidator } from './avro-bounds.validator';
import { EventDecodeException } from './event.exception';

const strings = avsc.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: { type: 'array', items: 'string' } }] });
const nulls = avsc.Type.forSchema({ type: 'array', items: 'null' });

function reasonOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EventDecodeException) return `${err.reason}: ${err.message}`;
    throw err;
  }
  return 'ok';
}

describe(AvroBoundsValidator.name, () => {
  it('accepts what avsc itself wrote', () => {
    assert.equal(
      reasonOf(() => AvroBoundsValidator.check(strings, strings.toBuffer({ a: ['x', 'yz', ''] }))),
      'ok',
    );
  });

  it('refuses a block count of 2^40 items against the bytes left, without allocating, in milliseconds', () => {
    const started = performance.now();
    const body = Buffer.concat([avroLong(2 ** 40), Buffer.from([2, 0x41])]);
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(strings, body)),
      /^avro: .*claims 1099511627776 items where 2 bytes are left/,
    );
    assert.ok(performance.now() - started < 100);
  });

  it('refuses a negative block count whose absolute value is too large, and a string length beyond the body', () => {
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(strings, Buffer.concat([avroLong(-(2 ** 40)), avroLong(4)]))),
      /^avro: .*claims/,
    );
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(strings, Buffer.concat([avroLong(1), avroLong(1_000_000)]))),
      /^avro: .*claims 1000000 bytes/,
    );
  });

  it('bounds items that take no bytes by count, since the bytes left cannot', () => {
    assert.equal(
      reasonOf(() => AvroBoundsValidator.check(nulls, Buffer.concat([avroLong(10), avroLong(0)]))),
      'ok',
    );
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(nulls, Buffer.concat([avroLong(2 ** 40), avroLong(0)]))),
      /^avro: /,
    );
  });

  it('bounds items that take no bytes over the whole message, however many blocks and arrays claim them', () => {
    const bounds = { maxBytes: 1024, maxDepth: 32, maxEmptyItems: 10 };
    // Six blocks of six nulls each: no block is over the bound, the array is.
    const blocks = Buffer.concat([...Array.from({ length: 6 }, () => avroLong(6)), avroLong(0)]);
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(nulls, blocks, bounds)),
      /^avro: .*claims 12 items of no bytes, over the bound of 10/,
    );
    // Arrays of nulls inside an array: each inner one is under the bound, their sum is not.
    const nested = avsc.Type.forSchema({ type: 'array', items: { type: 'array', items: 'null' } });
    const inner = Buffer.concat([avroLong(4), avroLong(0)]);
    assert.equal(
      reasonOf(() => AvroBoundsValidator.check(nested, Buffer.concat([avroLong(2), inner, inner, avroLong(0)]), bounds)),
      'ok',
    );
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(nested, Buffer.concat([avroLong(3), inner, inner, inner, avroLong(0)]), bounds)),
      /^avro: .*over the bound of 10/,
    );
  });

  it('peeks at the long after a string only when the bytes hold an exact one', () => {
    const body = Buffer.concat([avroLong(3), Buffer.from('abc'), avroLong(1_795_862_264_713_000)]);
    assert.equal(AvroBoundsValidator.longAfterString(body, 0), 1_795_862_264_713_000);
    assert.equal(AvroBoundsValidator.longAfterString(body.subarray(0, 6), 0), undefined, 'cut inside the long');
    assert.equal(
      AvroBoundsValidator.longAfterString(Buffer.concat([avroLong(9), Buffer.from('abc')]), 0),
      undefined,
      'a string past the end',
    );
    // A long past 2^53 (ten bytes): a JS number cannot hold it exactly, so there is no peek (the message is decoded instead).
    const huge = Buffer.concat([avroLong(0), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02])]);
    assert.equal(AvroBoundsValidator.longAfterString(huge, 0), undefined);
  });

  it('refuses a body that ends early, a runaway varint, and a union or enum index out of range', () => {
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(strings, Buffer.from([0x80]))),
      /ends inside a number/,
    );
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(strings, Buffer.alloc(12, 0xff))),
      /longer than 10 bytes/,
    );
    const union = avsc.Type.forSchema(['null', 'string']);
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(union, avroLong(7))),
      /union index 7 out of range/,
    );
    const en = avsc.Type.forSchema({ type: 'enum', name: 'E', symbols: ['A', 'B'] });
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(en, avroLong(5))),
      /enum index 5/,
    );
  });

  it('refuses nesting deeper than the bound as too-deep (a recursive writer schema)', () => {
    const tree = avsc.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'child', type: ['null', 'Node'] }],
    });
    // 40 levels of child → union index 1, then null at the bottom.
    const body = Buffer.concat([...Array.from({ length: 40 }, () => avroLong(1)), avroLong(0)]);
    assert.match(
      reasonOf(() => AvroBoundsValidator.check(tree, body, { maxBytes: 1024, maxDepth: 32, maxEmptyItems: 10 })),
      /^too-deep: /,
    );
  });
});
