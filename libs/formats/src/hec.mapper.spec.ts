import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { parseExtraFields } from './extra-fields.util';
import { encodeHecBatch, HecMapper } from './hec.mapper';

describe(HecMapper.name, () => {
  it('writes time in epoch seconds with milliseconds, the native event and string indexed fields', () => {
    const event = anAuditEvent({ time: 1700000000123456 });
    const hec = new HecMapper().toRecord(event);
    assert.equal(hec.time, 1700000000.123);
    assert.equal(hec.host, 'ip-10-187-39-137.eu-west-2.compute.internal');
    assert.equal(hec.source, 'vigil');
    assert.equal(hec.sourcetype, '_json');
    assert.equal('index' in hec, false, 'no index: the token default applies');
    assert.equal(hec.event.id, event.id);
    assert.equal(hec.event.time, '2023-11-14T22:13:20.123456Z');
    assert.deepEqual(hec.fields, {
      tenant_id: event.tenantId,
      category: 'authentication',
      action: 'user.login.failed',
      outcome: 'FAILURE',
    });
    assert.ok(Object.values(hec.fields).every((v) => typeof v === 'string'));
  });

  it('takes host, source, sourcetype and index from its options', () => {
    const hec = new HecMapper({ host: 'vigil-1', source: 'audit', sourcetype: 'vigil:audit', index: 'security' }).toRecord(anAuditEvent());
    assert.deepEqual([hec.host, hec.source, hec.sourcetype, hec.index], ['vigil-1', 'audit', 'vigil:audit', 'security']);
  });

  it('leaves host out when neither the options nor the event name one', () => {
    const hec = new HecMapper().toRecord(anAuditEvent({ service: { name: 's', version: null, host: null } }));
    assert.equal('host' in hec, false);
  });

  it('serialises a batch as event objects back to back, without array or commas', () => {
    const mapper = new HecMapper();
    const events = [anAuditEvent(), anAuditEvent()];
    const [first, second] = events.map((e) => JSON.stringify(mapper.toRecord(e)));
    const body = mapper.encodeBatch(events);
    assert.equal(body, `${first}${second}`);
    assert.equal(body, encodeHecBatch(events.map((e) => mapper.toRecord(e))));
    assert.ok(body.startsWith('{"time":'));
  });

  it('carries extra fields inside the event', () => {
    const hec = new HecMapper({}, parseExtraFields({ paths: ['client.ip'], prefix: 'claims' })).toRecord(anAuditEvent());
    assert.deepEqual(hec.event['claims'], { 'client.ip': '18.171.51.239' });
  });
});
