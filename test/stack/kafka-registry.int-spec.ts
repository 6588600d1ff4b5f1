import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import pino from 'pino';
import { createRawKafka, createRawProducer, createSchemaRegistry } from '@vigil/kafka';
import { requireStack, testEnv, uniqueName, waitFor, deleteSubject } from '@vigil/testing';

const logger = pino({ level: 'warn' });

const schema = {
  type: 'record',
  name: 'StackProbe',
  namespace: 'dev.vigil.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

describe('the local stack (Kafka + schema registry)', () => {
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'stack-int-spec' }, logger);
  const registry = createSchemaRegistry({ url: testEnv.schemaRegistryUrl });
  const admin = kafka.admin();
  const topic = uniqueName('stack-probe');

  before(async () => {
    await requireStack(['kafka', 'registry']);
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });

  after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await deleteSubject(`${topic}-value`);
    await admin.disconnect();
  });

  it('registers an Avro schema, produces idempotently with acks=-1, and consumes and decodes the same record', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
    assert.ok(id > 0);
    // Registering the same schema again returns the same id: producers can register on every start.
    const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
    assert.equal(again.id, id);

    const record = { id: 'evt-1', count: 42, note: 'hello' };
    const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: 'tenant-a', value: await registry.encode(id, record) }] });
    await producer.disconnect();
    assert.equal(meta?.errorCode, 0);

    const received: unknown[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('stack-probe-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        assert.ok(message.value);
        // Confluent wire format: magic byte 0, then the 4-byte schema id.
        assert.equal(message.value.readUInt8(0), 0);
        assert.equal(message.value.readInt32BE(1), id);
        received.push({ ...(await registry.decode(message.value)) });
      },
    });
    try {
      await waitFor(
        () => received.length,
        (n) => n >= 1,
        'the produced record to be consumed',
      );
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(received, [record]);
  });

  it('rejects a record that does not match the schema before anything is sent', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
    await assert.rejects(registry.encode(id, { id: 'evt-2', count: 'many' }), /invalid "long": "many"/);
  });
});
