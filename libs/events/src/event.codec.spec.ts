import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { readerType } from './avro.codec';
import { confluentFramed as framed, withAttributeArrayClaiming } from '@vigil/testing';
import { EventCodec, type SchemaRegistryPort } from './event.codec';
import { EventDecodeException, SchemaFormatException, SchemaRegistryException } from './event.exception';
import { TOPIC_SCHEMAS } from './generated/schemas';
import type { AuditEvent } from './generated/event.types';

const event: AuditEvent = {
  id: '01936f5e-8a3b-7c3d-9e4f-0123456789ab',
  time: 1_795_300_000_123_456,
  observedTime: 1_795_300_000_223_456,
  tenantId: 'acme',
  category: 'authentication',
  action: 'user.login.succeeded',
  outcome: 'SUCCESS',
  severity: 'LOW',
  actor: { id: 'u-1', name: null, type: 'USER', roles: [] },
  client: null,
  targets: [],
  http: null,
  service: { name: 'iam', version: null, host: null },
  correlationId: null,
  traceId: null,
  spanId: null,
  description: null,
  payload: null,
  attributes: {},
};

/** A registry whose ids answer as given: a schema, or an error. */
function registry(answers: Record<number, object | Error>): SchemaRegistryPort {
  return {
    register: () => Promise.resolve(1),
    lookup: () => Promise.resolve(1),
    schemaById: (id) => {
      const answer = answers[id];
      if (answer === undefined) return Promise.reject(Object.assign(new Error('HTTP 404'), { status: 404 }));
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof EventDecodeException) return `decode:${err.reason}`;
    if (err instanceof SchemaRegistryException) return 'registry';
    throw err;
  }
  return 'ok';
}

const topic = 'audit.authentication';
const body = readerType('authentication').toBuffer({ ...event, attributes: {} });

describe(EventCodec.name, () => {
  it('decodes a well-formed message', async () => {
    const codec = new EventCodec(registry({ 1: TOPIC_SCHEMAS.authentication }));
    assert.equal((await codec.decode(framed(1, body), topic)).id, event.id);
  });

  it('peekTime reads the event time from the bytes once the writer schema is known, and says nothing it cannot tell', async () => {
    // Another version of the schema, with a field before `id`: read through a resolver, so its bytes are not peeked at.
    const schema = TOPIC_SCHEMAS.authentication as { fields: object[] };
    const other = { ...schema, fields: [{ name: 'extra', type: 'string' }, ...schema.fields] };
    const codec = new EventCodec(registry({ 1: TOPIC_SCHEMAS.authentication, 2: other }));
    const message = framed(1, body);
    assert.equal(codec.peekTime(message, 'authentication'), undefined, 'the writer schema is not looked up yet');
    await codec.decode(message, topic);
    assert.equal(codec.peekTime(message, 'authentication'), event.time);
    const early = framed(1, readerType('authentication').toBuffer({ ...event, time: -5, attributes: {} }));
    assert.equal(codec.peekTime(early, 'authentication'), -5);
    assert.equal(codec.peekTime(message.subarray(0, 10), 'authentication'), undefined, 'cut inside the id');
    assert.equal(codec.peekTime(message.subarray(0, 5 + 1 + 36 + 2), 'authentication'), undefined, 'cut inside the time');
    assert.equal(codec.peekTime(null, 'authentication'), undefined);
    const older = framed(2, avsc.Type.forSchema(other as avsc.Schema).toBuffer({ extra: 'x', ...event, attributes: {} }));
    assert.equal((await codec.decode(older, topic)).time, event.time);
    assert.equal(codec.peekTime(older, 'authentication'), undefined, 'another writer schema: decode it to know');
  });

  it('an id the registry answers 404 for is a decode error (unknown-schema); an outage is not', async () => {
    assert.equal(await failure(new EventCodec(registry({})).decode(framed(9, body), topic)), 'decode:unknown-schema');
    const down = new EventCodec(registry({ 1: Object.assign(new Error('ECONNREFUSED'), { status: undefined }) }));
    assert.equal(await failure(down.decode(framed(1, body), topic)), 'registry');
  });

  it('an id holding a non-Avro or unparseable schema is a decode error (bad-schema), not a registry outage', async () => {
    const codec = new EventCodec(
      registry({
        2: new SchemaFormatException('schema id 2 is a PROTOBUF schema, not Avro'),
        3: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' },
        4: { type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] },
      }),
    );
    assert.equal(await failure(codec.decode(framed(2, body), topic)), 'decode:bad-schema');
    assert.equal(await failure(codec.decode(framed(3, body), topic)), 'decode:bad-schema');
    assert.equal(await failure(codec.decode(framed(4, body), topic)), 'decode:bad-schema');
  });

  it('a body claiming 2^40 array items is an avro decode error, found before anything is allocated', async () => {
    const codec = new EventCodec(registry({ 1: TOPIC_SCHEMAS.authentication }));
    // attributes is the last field: one entry "k" whose value is the array branch (union index 4) with 2^40 items.
    const hostile = withAttributeArrayClaiming(body, 2 ** 40);
    const started = performance.now();
    assert.equal(await failure(codec.decode(framed(1, hostile), topic)), 'decode:avro');
    assert.ok(performance.now() - started < 500, 'no allocation, no loop over the claimed items');
  });

  it('a message over the size bound is too-large; a truncated body is avro', async () => {
    const codec = new EventCodec(registry({ 1: TOPIC_SCHEMAS.authentication }), {
      schemaIds: 'lookup',
      bounds: { maxBytes: 64, maxDepth: 32, maxEmptyItems: 10 },
    });
    assert.equal(await failure(codec.decode(framed(1, Buffer.concat([body, Buffer.alloc(100)])), topic)), 'decode:too-large');
    const normal = new EventCodec(registry({ 1: TOPIC_SCHEMAS.authentication }));
    assert.equal(await failure(normal.decode(framed(1, body.subarray(0, 20)), topic)), 'decode:avro');
  });
});
