import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import avsc from 'avsc';
import {
  EventCodec,
  SCHEMA_COMPATIBILITY as COMPATIBILITY,
  fromAvro,
  toAvro,
  TOPIC_SCHEMAS,
  type AuditEvent,
  type AvroEvent,
} from '@vigil/events';
import { RegistryHttpClient } from '@vigil/kafka';
import { anAuditEvent, requireStack, testEnv, uniqueName, deleteSubject } from '@vigil/testing';

const registry = new RegistryHttpClient({ url: testEnv.schemaRegistryUrl });

/** v2 of the authentication schema: v1 plus one optional envelope field, the documented kind of change. */
function v2Schema(): { fields: { name: string }[] } & Record<string, unknown> {
  const v1 = structuredClone(TOPIC_SCHEMAS.authentication) as { fields: Record<string, unknown>[] } & Record<string, unknown>;
  v1.fields.push({ name: 'riskScore', type: ['null', 'double'], default: null, doc: 'Added in v2.' });
  return v1 as { fields: { name: string }[] } & Record<string, unknown>;
}

function frame(id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
}

describe(`schema evolution under ${COMPATIBILITY}`, () => {
  const subjects: string[] = [];
  after(() => Promise.all(subjects.map(deleteSubject)));

  it('registers a v2 that adds an optional field; v1 readers read v2 and v2 readers read v1', async () => {
    await requireStack(['registry']);
    const subject = `${uniqueName('evolution')}-value`;
    subjects.push(subject);
    await registry.setCompatibility(subject, COMPATIBILITY);
    const v1Id = await registry.register(subject, TOPIC_SCHEMAS.authentication);
    const v2 = v2Schema();
    assert.equal(await registry.isCompatible(subject, v2), true);
    const v2Id = await registry.register(subject, v2);
    assert.notEqual(v2Id, v1Id);

    const event = anAuditEvent({ tenantId: 'acme' }) as AuditEvent;
    const v2Type = avsc.Type.forSchema(v2 as avsc.Schema);

    // A v2 producer's message, read by this build (v1): the new field is dropped, everything else intact.
    const fromV2 = frame(v2Id, v2Type.toBuffer({ ...toAvro(event), riskScore: 0.7 }));
    const v1Reader = new EventCodec(registry);
    assert.deepEqual(await v1Reader.decodeAs(fromV2, 'authentication'), event);

    // A v1 producer's message, read by a v2 consumer: the new field takes its default.
    const fromV1 = new EventCodec(registry).encodeWithId(v1Id, event);
    const writer = avsc.Type.forSchema((await registry.schemaById(v1Id)) as avsc.Schema);
    const asV2 = v2Type.fromBuffer(fromV1.subarray(5), v2Type.createResolver(writer)) as AvroEvent & { riskScore: number | null };
    assert.equal(asV2.riskScore, null);
    const { riskScore: _dropped, ...rest } = asV2;
    assert.deepEqual(fromAvro(rest), event);
  });

  it('refuses a change that would break old readers or writers', async () => {
    await requireStack(['registry']);
    const subject = `${uniqueName('evolution')}-value`;
    subjects.push(subject);
    await registry.setCompatibility(subject, COMPATIBILITY);
    await registry.register(subject, TOPIC_SCHEMAS.authentication);
    const breaking = structuredClone(TOPIC_SCHEMAS.authentication) as { fields: Record<string, unknown>[] };
    breaking.fields.push({ name: 'region', type: 'string' }); // required, no default: old events cannot be read
    assert.equal(await registry.isCompatible(subject, breaking), false);
    await assert.rejects(registry.register(subject, breaking), /HTTP 409/);
  });

  it('turns an unknown schema id into a decode error naming the id', async () => {
    await requireStack(['registry']);
    const codec = new EventCodec(registry);
    await assert.rejects(
      codec.decodeAs(frame(987654321, Buffer.from([0])), 'authentication'),
      /schema id 987654321 is not in the registry/,
    );
    await assert.rejects(codec.decodeAs(Buffer.from('{"json":true}'), 'authentication'), /not in Confluent wire format/);
  });
});
