import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECORD_BATCH_OVERHEAD, recordBytes, varintBytes } from './record-size.util';

describe('recordBytes', () => {
  it('encodes lengths as zigzag varints, as Kafka does', () => {
    assert.equal(varintBytes(0), 1);
    assert.equal(varintBytes(-1), 1);
    assert.equal(varintBytes(63), 1);
    assert.equal(varintBytes(64), 2);
    assert.equal(varintBytes(8191), 2);
    assert.equal(varintBytes(8192), 3);
  });

  it('counts the key, the headers and the framing, not just the value', () => {
    const value = Buffer.alloc(100);
    const bare = recordBytes({ key: null, value });
    // length prefix 2 + attributes 1 + deltas 8 + null key 1 + value length 2 + 100 + header count 1
    assert.equal(bare, 115);
    const keyed = recordBytes({ key: 'tenant-7', value, headers: { 'vigil-event-id': '0193a5b0-7a6e-7d4b-9c1e-1234567890ab' } });
    // key 1 + 8 instead of a null key's 1, header name 1 + 14, header value 1 + 36
    assert.equal(keyed, bare + 8 + 15 + 37);
    assert.ok(keyed > value.length * 1.5, 'for a small event the overhead is a third of the record or more');
  });

  it('keeps 5,000 small events under 1 MiB only if the bound counts what a record adds', () => {
    const message = { key: 'acme', value: Buffer.alloc(150), headers: { 'vigil-event-id': 'x'.repeat(36) } };
    const values = 5000 * 150;
    const onTheWire = RECORD_BATCH_OVERHEAD + 5000 * recordBytes(message);
    assert.ok(values < 900 * 1024 && onTheWire > 1024 * 1024, `${values} bytes of values are ${onTheWire} bytes on the wire`);
  });
});
