import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { NativeMapper, type NativeDocument } from './native.mapper';

describe(NativeMapper.name, () => {
  it('keeps every envelope field, with ISO timestamps in microseconds and plain attributes', () => {
    const event = anAuditEvent({ time: 1700000000000001, observedTime: 1700000000999999 });
    const doc = JSON.parse(JSON.stringify(new NativeMapper().toRecord(event))) as NativeDocument;
    assert.deepEqual(Object.keys(doc).sort(), Object.keys(event).sort());
    assert.equal(doc.time, '2023-11-14T22:13:20.000001Z');
    assert.equal(doc.observedTime, '2023-11-14T22:13:20.999999Z');
    assert.deepEqual(doc.attributes, { 'login.form': 'web', 'risk.score': 0.75 });
    assert.deepEqual(doc.payload, event.payload);
    assert.deepEqual(doc.actor, event.actor);
    assert.equal(doc.mfaMethod, undefined);
  });

  it('frames a batch as a JSON array by default', () => {
    const events = [anAuditEvent(), anAuditEvent()];
    const mapper = new NativeMapper();
    assert.equal(mapper.contentType, 'application/json');
    const docs = JSON.parse(mapper.encodeBatch(events)) as NativeDocument[];
    assert.deepEqual(
      docs.map((d) => d.id),
      events.map((e) => e.id),
    );
  });
});
