import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectAccessEvent } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';
import { EcsMapper, type EcsDocument } from './ecs.mapper';
import { parseExtraFields } from './extra-fields.util';

function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value).some(hasNull);
}

describe(EcsMapper.name, () => {
  const mapper = new EcsMapper();

  it("writes Closer's ECS fields, with category and type from the catalog", () => {
    const event = anAuditEvent({ time: 1700000000123456, observedTime: 1700000000124000 });
    const doc = mapper.toRecord(event);
    assert.equal(doc['@timestamp'], '2023-11-14T22:13:20.123456Z');
    assert.deepEqual(doc.event, {
      id: event.id,
      kind: 'event',
      category: ['authentication'],
      type: ['start'],
      action: 'user.login.failed',
      outcome: 'failure',
      severity: 13,
      created: '2023-11-14T22:13:20.124000Z',
      dataset: 'vigil.audit',
      provider: 'auth-service',
    });
    assert.deepEqual(doc.user, {
      id: '6006b9469145130011ec8497',
      name: 'ada.lovelace@example.com',
      roles: ['administrator'],
      target: { id: '6006b9469145130011ec8497', name: 'ada.lovelace@example.com' },
    });
    assert.deepEqual(doc.source, { ip: '18.171.51.239' });
    // The actor is also the target user: named once.
    assert.deepEqual(doc.related, { user: ['6006b9469145130011ec8497'], ip: ['18.171.51.239'] });
    assert.deepEqual(doc.http, { request: { method: 'POST' }, response: { status_code: 401 } });
    assert.deepEqual(doc.url, { original: '/auth/login', path: '/auth/login' });
    assert.deepEqual(doc.service, { name: 'auth-service', version: '26.224.0' });
    assert.equal(doc.host?.hostname, 'ip-10-187-39-137.eu-west-2.compute.internal');
    assert.deepEqual(doc.organization, { id: 'eu-west-2_wsc5Rc5b4' });
    assert.deepEqual([doc.trace?.id, doc.span?.id], ['1e47addff4d86322eb51230892ffa6e3', 'b5774431ee7650a5']);
    assert.equal(doc.message, 'Login failed: incorrect password');
    assert.equal(doc.ecs.version.split('.')[0], '8');
    assert.match(doc.user_agent?.original ?? '', /Mozilla/);
  });

  it('keeps the rest under vigil.*, payload and attributes without nulls', () => {
    const doc = mapper.toRecord(anAuditEvent());
    assert.equal(doc.vigil.correlation_id, 'f3e7bfca-c6c1-4ed6-b1c1-75a4d6637f6b');
    assert.deepEqual(doc.vigil.http, { operation: 'mutation login' });
    assert.deepEqual(doc.vigil.payload, { authMethod: 'password', failureReason: 'Incorrect Password', failedAttempts: 3 });
    assert.deepEqual(doc.vigil.attributes, { 'login.form': 'web', 'risk.score': 0.75 });
    assert.equal(doc.vigil.targets.length, 1);
    assert.equal(hasNull(doc), false);
  });

  it('splits an absolute URL into url.full, domain, path and query', () => {
    const doc = mapper.toRecord(
      anAuditEvent({ http: { method: 'PUT', url: 'https://spinner.closer.app/api/users?x=1', operation: null, statusCode: 204 } }),
    );
    assert.deepEqual(doc.url, {
      full: 'https://spinner.closer.app/api/users?x=1',
      domain: 'spinner.closer.app',
      path: '/api/users',
      query: 'x=1',
    });
    assert.equal(doc.vigil.http, undefined);
  });

  it('puts a client address that is not an IP into source.address, never source.ip', () => {
    const doc = mapper.toRecord(anAuditEvent({ client: { ip: '/', userAgent: null } }));
    assert.deepEqual(doc.source, { address: '/' });
    assert.equal(doc.user_agent, undefined);
  });

  it("falls back to the category's ECS categories for an action missing from the catalog", () => {
    const event: ObjectAccessEvent = {
      ...anAuditEvent(),
      category: 'object-access',
      action: 'widget.frobbed',
      payload: null,
      outcome: 'SUCCESS',
    };
    const doc = mapper.toRecord(event);
    assert.deepEqual(doc.event.category, ['web', 'file', 'database']);
    assert.deepEqual(doc.event.type, ['info']);
    assert.equal(doc.event.outcome, 'success');
  });

  it('leaves out what the event does not have', () => {
    const doc = mapper.toRecord(
      anAuditEvent({
        client: null,
        http: null,
        traceId: null,
        spanId: null,
        correlationId: null,
        service: { name: 's', version: null, host: null },
      }),
    );
    for (const key of ['source', 'http', 'url', 'trace', 'span', 'host', 'user_agent'] as const) assert.equal(doc[key], undefined, key);
    assert.equal(hasNull(doc), false);
  });

  it('frames a batch as a JSON array or NDJSON', () => {
    const events = [anAuditEvent(), anAuditEvent()];
    const array = JSON.parse(mapper.encodeBatch(events)) as EcsDocument[];
    assert.deepEqual(
      array.map((d) => d.event.id),
      events.map((e) => e.id),
    );
    const ndjson = new EcsMapper(undefined, 'ndjson');
    const body = ndjson.encodeBatch(events);
    assert.equal(ndjson.contentType, 'application/x-ndjson');
    assert.ok(body.endsWith('\n'));
    assert.deepEqual(
      body
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as EcsDocument).event.id),
      events.map((e) => e.id),
    );
  });

  it('adds extra fields under their prefix', () => {
    const doc = new EcsMapper(parseExtraFields({ paths: ['payload.authMethod', 'actor.roles'] })).toRecord(anAuditEvent());
    assert.deepEqual(doc['extra'], { 'payload.authMethod': 'password', 'actor.roles': ['administrator'] });
  });
});
