import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVALID_CLIENT_IP_ATTRIBUTE, microsToTimestamp, storableText, toInet, toRow } from './audit-event.mapper';
import { StoreErrorCode, StoreException } from './store.exception';
import { EVENT_LIMITS } from '@vigil/events';
import { makeEvent, makeOrigin } from '@vigil/testing';

const origin = { topic: 'audit.authentication', partition: 2, offset: '9007199254740993' };

function rejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => err instanceof StoreException && err.code === StoreErrorCode.INVALID_EVENT && err.field === field);
}

describe('microsToTimestamp', () => {
  it('keeps all six fractional digits', () => {
    assert.equal(microsToTimestamp(1_795_304_807_518_123), '2026-11-21T23:46:47.518123Z');
    assert.equal(microsToTimestamp(1_795_304_807_000_001), '2026-11-21T23:46:47.000001Z');
  });

  it('is exact at the largest safe integer and before the epoch', () => {
    assert.equal(microsToTimestamp(Number.MAX_SAFE_INTEGER), '2255-06-05T23:47:34.740991Z');
    assert.equal(microsToTimestamp(-Number.MAX_SAFE_INTEGER), '1684-07-28T00:12:25.259009Z');
    assert.equal(microsToTimestamp(-1), '1969-12-31T23:59:59.999999Z');
  });

  it('rejects a time that is not an integer number of microseconds, naming the field', () => {
    rejects(() => microsToTimestamp(1.5, 'observedTime'), 'observedTime');
    rejects(() => microsToTimestamp(Number.MAX_SAFE_INTEGER + 2), 'time');
  });
});

describe('toRow', () => {
  it('maps every envelope field and the Kafka origin', () => {
    const event = makeEvent({ time: 1_795_304_807_518_123 });
    const row = toRow(event, origin);
    assert.equal(row.time, '2026-11-21T23:46:47.518123Z');
    assert.equal(row.observedTime, '2026-11-21T23:46:47.519623Z');
    assert.deepEqual(
      [row.tenantId, row.id, row.category, row.action, row.outcome, row.severity],
      [event.tenantId, event.id, 'authentication', 'user.login.failed', 'FAILURE', 'MEDIUM'],
    );
    assert.deepEqual([row.actorId, row.actorName, row.actorType, row.actorRoles], ['user-1', event.actor.name, 'USER', event.actor.roles]);
    assert.deepEqual([row.clientIp, row.userAgent], ['203.0.113.7', 'Mozilla/5.0']);
    assert.deepEqual([row.serviceName, row.serviceVersion, row.serviceHost], ['auth', '1.4.2', 'auth-7f9c']);
    assert.deepEqual([row.httpMethod, row.httpUrl, row.httpOperation, row.httpStatus], ['POST', '/api/login?next=%2F', 'login', 401]);
    assert.deepEqual(
      [row.correlationId, row.traceId, row.spanId, row.description],
      ['corr-1', event.traceId, event.spanId, event.description],
    );
    assert.deepEqual(JSON.parse(row.targets), event.targets);
    assert.deepEqual(JSON.parse(row.payload ?? 'null'), event.payload);
    assert.deepEqual(JSON.parse(row.attributes), event.attributes);
    assert.deepEqual([row.kafkaTopic, row.kafkaPartition, row.kafkaOffset], [origin.topic, 2, '9007199254740993']);
  });

  it('stores absent client, http and payload as nulls', () => {
    const row = toRow(makeEvent({ client: null, http: null, payload: null }), makeOrigin());
    assert.deepEqual([row.clientIp, row.userAgent, row.httpMethod, row.httpStatus, row.payload], [null, null, null, null, null]);
  });

  it('keeps an address inet cannot hold in attributes and stores a null client_ip', () => {
    const row = toRow(makeEvent({ client: { ip: 'not-an-ip', userAgent: null } }), makeOrigin());
    assert.equal(row.clientIp, null);
    assert.equal((JSON.parse(row.attributes) as Record<string, unknown>)[INVALID_CLIENT_IP_ATTRIBUTE], 'not-an-ip');
  });

  it('never overwrites a producer attribute of the same name', () => {
    const event = makeEvent({ client: { ip: '1.2.3.4/24', userAgent: null }, attributes: { [INVALID_CLIENT_IP_ATTRIBUTE]: 'mine' } });
    assert.equal((JSON.parse(toRow(event, makeOrigin()).attributes) as Record<string, unknown>)[INVALID_CLIENT_IP_ATTRIBUTE], 'mine');
  });

  it('replaces NUL and unpaired surrogates with U+FFFD as producers do, which PostgreSQL would reject for the whole batch', () => {
    const row = toRow(makeEvent({ description: 'a\u0000b\uD800c', attributes: { 'k\u0000': 'v\u0000', emoji: '😀' } }), makeOrigin());
    assert.equal(row.description, 'a\uFFFDb\uFFFDc');
    assert.deepEqual(JSON.parse(row.attributes), { 'k\uFFFD': 'v\uFFFD', emoji: '😀' });
  });

  it('mends every JSON column, and keeps text that only looks like an escape (a backslash, then u0000) as it is', () => {
    const row = toRow(
      makeEvent({
        targets: [{ type: 'doc', id: 'lone \uDC00', name: null }],
        attributes: { path: 'C:\\u0000dir', raw: '\\ud800' },
      }),
      makeOrigin(),
    );
    assert.deepEqual(JSON.parse(row.targets), [{ type: 'doc', id: 'lone \uFFFD', name: null }]);
    assert.deepEqual(JSON.parse(row.attributes), { path: 'C:\\u0000dir', raw: '\\ud800' });
  });

  it('rejects what no column can hold, naming the field', () => {
    rejects(() => toRow(makeEvent({ id: 'not-a-uuid' }), makeOrigin()), 'id');
    rejects(() => toRow(makeEvent({ time: 1.5 }), makeOrigin()), 'time');
    rejects(() => toRow(makeEvent(), { ...origin, offset: '-1' }), 'kafka.offset');
    rejects(
      () => toRow(makeEvent({ http: { method: null, url: null, operation: null, statusCode: 2 ** 40 } }), makeOrigin()),
      'http.statusCode',
    );
  });

  it('rejects a service name longer than the SDK accepts (a record written to Kafka without the SDK), in UTF-8 bytes', () => {
    const service = (name: string) => ({ service: { name, version: null, host: null } });
    rejects(() => toRow(makeEvent(service('s'.repeat(EVENT_LIMITS.string + 1))), makeOrigin()), 'service.name');
    // 342 CJK characters: 1,026 bytes, though 342 UTF-16 units.
    rejects(() => toRow(makeEvent(service('語'.repeat(342))), makeOrigin()), 'service.name');
    assert.equal(toRow(makeEvent(service('s'.repeat(EVENT_LIMITS.string))), makeOrigin()).serviceName?.length, EVENT_LIMITS.string);
    assert.equal(toRow(makeEvent(service('語'.repeat(341))), makeOrigin()).serviceName?.length, 341);
  });

  it('rejects a tenant id longer than the SDK accepts, which a rollup key beside a long value could not hold', () => {
    rejects(() => toRow(makeEvent({ tenantId: 't'.repeat(EVENT_LIMITS.tenantId + 1) }), makeOrigin()), 'tenantId');
    assert.equal(toRow(makeEvent({ tenantId: 't'.repeat(EVENT_LIMITS.tenantId) }), makeOrigin()).tenantId.length, EVENT_LIMITS.tenantId);
  });
});

describe('toInet', () => {
  it('accepts IPv4 and IPv6, drops a zone id, refuses the rest', () => {
    assert.equal(toInet('2001:db8::1'), '2001:db8::1');
    assert.equal(toInet('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
    assert.equal(toInet('fe80::1%eth0'), 'fe80::1');
    assert.equal(toInet('10.0.0.0/8'), null);
    assert.equal(toInet('010.0.0.1'), null);
    assert.equal(toInet(null), null);
  });
});

describe('storableText', () => {
  it('returns clean text unchanged and keeps surrogate pairs', () => {
    const clean = 'plain ✓ 😀';
    assert.equal(storableText(clean), clean);
  });
});
