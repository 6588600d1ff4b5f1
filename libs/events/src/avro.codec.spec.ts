import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completePayload, fromAvro, fromReaderRecord, readerType, toAvro, unwrapAttribute, wrapAttribute } from './avro.codec';
import type { AuditEvent, RolePrivilegePayload } from './generated/event.types';

/** A full event of the role-privilege category, every field set or null. */
const event: AuditEvent = {
  id: '01936f5e-8a3b-7c3d-9e4f-0123456789ab',
  time: 1_795_300_000_123_456,
  observedTime: 1_795_300_000_223_456,
  tenantId: 'acme',
  category: 'role-privilege',
  action: 'role.created',
  outcome: 'SUCCESS',
  severity: 'LOW',
  actor: { id: 'u-1', name: null, type: 'SERVICE', roles: [] },
  client: null,
  targets: [{ type: 'role', id: 'r-1', name: 'auditors' }],
  http: null,
  service: { name: 'iam', version: null, host: null },
  correlationId: null,
  traceId: null,
  spanId: null,
  description: null,
  payload: null,
  attributes: { count: 2, big: 9_007_199_254_740_990, huge: 2 ** 60, ratio: 0.25, ok: true, list: ['x', 'y'] },
};

describe('Avro attribute mapping', () => {
  it('writes integers as long, other numbers as double, and reads them back as plain values', () => {
    assert.deepEqual(wrapAttribute(3), { long: 3 });
    assert.deepEqual(wrapAttribute(3.5), { double: 3.5 });
    assert.deepEqual(wrapAttribute(['a']), { array: ['a'] });
    assert.equal(wrapAttribute({}), undefined);
    assert.equal(wrapAttribute(Number.POSITIVE_INFINITY), undefined);
    assert.equal(unwrapAttribute({ boolean: false }), false);
  });

  it('round-trips a full event through the topic schema without loss', () => {
    const type = readerType('role-privilege');
    const decoded = fromAvro(type.fromBuffer(type.toBuffer(toAvro(event))) as Parameters<typeof fromAvro>[0]);
    assert.deepEqual(decoded, event);
    // Plain objects all the way down, as JSON.parse would give: they serialise, spread and compare like any other.
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(Object.getPrototypeOf(decoded.actor), Object.prototype);
    assert.equal(Object.getPrototypeOf(decoded.targets[0]), Object.prototype);
  });

  it('reads a double JSON cannot hold (written by a producer other than the SDK) as null, as before', () => {
    const type = readerType('role-privilege');
    const written = type.toBuffer({ ...toAvro({ ...event, attributes: {} }), attributes: { odd: { double: Number.NaN } } });
    const decoded = fromAvro(type.fromBuffer(written) as Parameters<typeof fromAvro>[0]);
    assert.equal(decoded.attributes['odd'], null);
  });

  it('decodes with the reader type straight into plain events, payload and targets included, without a copy', () => {
    const type = readerType('role-privilege');
    const withPayload: AuditEvent = {
      ...event,
      client: { ip: '203.0.113.9', userAgent: null },
      payload: completePayload('role-privilege', { subjectUserId: 'u-2' }) as unknown as RolePrivilegePayload,
    };
    const record = type.fromBuffer(type.toBuffer(toAvro(withPayload))) as Parameters<typeof fromReaderRecord>[0];
    const decoded = fromReaderRecord(record);
    assert.ok(Object.is(decoded, record), 'the decoded record itself, not a copy');
    assert.deepEqual(decoded, withPayload);
    for (const value of [decoded, decoded.actor, decoded.client, decoded.targets[0], decoded.service, decoded.payload, decoded.attributes])
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded)), decoded);
  });

  it('reads a non-finite double as null, and leaves a hostile __proto__ attribute out, on the fast path too', () => {
    const type = readerType('role-privilege');
    const attributes = JSON.parse('{"odd":{"double":null},"__proto__":{"string":"x"},"ok":{"long":2}}') as Record<string, unknown>;
    attributes['odd'] = { double: Number.NEGATIVE_INFINITY };
    const written = type.toBuffer({ ...toAvro({ ...event, attributes: {} }), attributes });
    const decoded = fromReaderRecord(type.fromBuffer(written) as Parameters<typeof fromReaderRecord>[0]);
    assert.deepEqual(Object.keys(decoded.attributes), ['odd', 'ok']);
    // Nothing of the hostile key is left: not as a value, and not as the attributes' prototype.
    assert.equal(Object.getPrototypeOf(decoded.attributes), Object.prototype);
    assert.equal('string' in decoded.attributes, false);
    assert.equal(decoded.attributes['odd'], null);
    assert.equal(decoded.attributes['ok'], 2);
  });
});
