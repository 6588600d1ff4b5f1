import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { checkAvroBounds, MAX_AVRO_DEPTH } from './avro-bounds.util';
import { EventDecodeException } from './event.exception';

/** Zigzag varint, as Avro writes ints and longs. */
function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const bytes: number[] = [];
  while (z >= 128) {
    bytes.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  bytes.push(z);
  return Buffer.from(bytes);
}

const type = avsc.Type.forSchema({
  type: 'record',
  name: 'E',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attributes', type: { type: 'map', values: ['null', 'string', { type: 'array', items: 'string' }] } },
    { name: 'nulls', type: { type: 'array', items: 'null' } },
  ],
});

const refused = (body: Buffer, pattern: RegExp) =>
  assert.throws(
    () => checkAvroBounds(type, body),
    (err) => err instanceof EventDecodeException && err.reason === 'avro' && pattern.test(err.message),
  );

describe('checkAvroBounds', () => {
  it('accepts what avsc writes, of any shape', () => {
    const value = { id: 'x', tags: ['a', 'b'], attributes: { k: null, s: 'v', l: ['1', '2'] }, nulls: [null, null] };
    checkAvroBounds(type, type.toBuffer(value));
    checkAvroBounds(type, type.toBuffer({ id: '', tags: [], attributes: {}, nulls: [] }));
  });

  it('refuses an array claiming 2^40 items in a few bytes, at once and without allocating', () => {
    const started = performance.now();
    refused(Buffer.concat([varint(1), Buffer.from('x'), varint(2 ** 40), Buffer.from('abc')]), /claims 1099511627776 items/);
    assert.ok(performance.now() - started < 50);
  });

  it('refuses a string longer than the bytes left, a body cut short, and a number past 10 bytes', () => {
    refused(Buffer.concat([varint(1_000_000), Buffer.from('short')]), /a string of 1000000 bytes with 5 left/);
    refused(type.toBuffer({ id: 'abc', tags: ['a'], attributes: {}, nulls: [] }).subarray(0, 4), /ends|bytes with/);
    refused(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /beyond 2\^53|longer than 10 bytes/);
  });

  it('bounds items that cost no bytes (an array of nulls) by count', () => {
    refused(Buffer.concat([varint(1), Buffer.from('x'), varint(0), varint(0), varint(20_000)]), /claims 20000 items/);
  });

  it('refuses a union branch out of range and nesting past the limit', () => {
    refused(Buffer.concat([varint(1), Buffer.from('x'), varint(0), varint(1), varint(1), Buffer.from('k'), varint(7)]), /union branch 7/);
    let nested: avsc.Schema = 'string';
    for (let i = 0; i <= MAX_AVRO_DEPTH + 1; i++) nested = { type: 'array', items: nested };
    const deep = avsc.Type.forSchema(nested);
    const body = Buffer.concat([...Array.from({ length: MAX_AVRO_DEPTH + 2 }, () => varint(1)), varint(1), Buffer.from('x')]);
    assert.throws(() => checkAvroBounds(deep, body), /deeper than/);
  });
});
