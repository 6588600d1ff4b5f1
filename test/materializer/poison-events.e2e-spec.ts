import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { allTopics, EventCodec } from '@vigil/events';
import { createRawKafka, createRawProducer, DEAD_LETTER_TOPIC, DLQ_HEADERS, RegistryHttpClient } from '@vigil/kafka';
import {
  registerForeignSchema,
  anAuditEvent,
  withAttributeArrayClaiming,
  collectFrom,
  confluentFramed,
  endOffsets,
  requireStack,
  startGroupAtEnd,
  testEnv,
  uniqueName,
  waitFor,
} from '@vigil/testing';
import { avroBody } from '../corpus/hostile-corpus.util';
import { startMaterializer, TestStore } from './materializer-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'poison-events-e2e' }, logger);
const admin = kafka.admin();
let publisher: AuditPublisher;

/** 1,024 random CJK characters: 1,024 UTF-16 units, 3,072 UTF-8 bytes, over the btree row limit of 2,704. */
function randomCjk(n: number): string {
  return Array.from({ length: n }, () => String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 0x5000))).join('');
}

describe('poison events (issue 11 reproductions; the materializer as in production)', () => {
  before(async () => {
    await requireStack();
    await admin.connect();
    publisher = new AuditPublisher({
      kafka: { client: kafka },
      schemaRegistry: { url: testEnv.schemaRegistryUrl },
      service: { name: 'poison-events-e2e' },
      logger,
    });
  });
  after(async () => {
    await publisher.close();
    await admin.disconnect();
  });

  it('dead-letters a CJK actor.id over the index limit, a non-Avro schema id and a 2^40 item count, while other tenants flow', async () => {
    const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
    const schemaId = await codec.schemaId('authentication');
    const jsonSchemaId = await registerForeignSchema(
      'JSON',
      '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}',
      'poison-json',
    );

    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await startMaterializer(store.databaseUrl(), groupId);
    const poisoned = uniqueName('tenant');
    const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
    const producer = createRawProducer(kafka);
    await producer.connect();
    try {
      // Raw Avro bytes straight to Kafka: a producer may be old or hostile, the validator is not in the way.
      const cjk = anAuditEvent({ tenantId: poisoned, actor: { id: randomCjk(1024), name: null, type: 'USER', roles: [] } });
      const body = avroBody(anAuditEvent({ tenantId: poisoned, attributes: {} }));
      const giant = withAttributeArrayClaiming(body, 2 ** 40);
      const poison = [
        { name: 'cjk', value: confluentFramed(schemaId, avroBody(cjk)), reason: 'store-limit' },
        { name: 'json-schema', value: confluentFramed(jsonSchemaId, body), reason: 'bad-schema' },
        { name: '2^40', value: confluentFramed(schemaId, giant), reason: 'avro' },
      ];
      const started = Date.now();
      for (const p of poison)
        await producer.send({ topic: 'audit.authentication', acks: -1, messages: [{ key: poisoned, value: p.value }] });
      // After the poison: the same tenant (its partition) and 20 other tenants (the other partitions).
      const sameTenant = await publisher.publishMany([{ action: 'user.login.failed', tenantId: poisoned, actor: { id: 'after' } }]);
      const others = Array.from({ length: 20 }, () => uniqueName('other'));
      await publisher.publishMany(others.map((tenantId) => ({ action: 'user.login.failed' as const, tenantId, actor: { id: 'u' } })));

      await waitFor(
        async () => (await Promise.all(others.map((t) => store.count(t)))).reduce((a, b) => a + b, 0),
        (n) => n === others.length,
        'every other tenant’s event stored',
        15_000,
      );
      await waitFor(
        () => store.count(poisoned),
        (n) => n === sameTenant.length,
        'the poisoned partition moved on',
        15_000,
      );
      const storedWithinMs = Date.now() - started;

      const letters = await collectFrom(kafka, dlqFrom, (c) => c.length >= poison.length, {
        filter: (c) => c.message.key?.toString() === poisoned && c.message.headers?.[DLQ_HEADERS.consumer]?.toString() === groupId,
      });
      // In one fetch the decode failures are lettered before the event the store refused; in separate ones, in order.
      const reasonOf = (l: (typeof letters)[number]): string | undefined => l.message.headers?.[DLQ_HEADERS.reason]?.toString();
      assert.deepEqual(letters.map(reasonOf).sort(), poison.map((p) => p.reason).sort());
      const storeLimit = letters.find((l) => reasonOf(l) === 'store-limit');
      const giantLetter = letters.find((l) => reasonOf(l) === 'avro');
      assert.match(
        storeLimit?.message.headers?.[DLQ_HEADERS.detail]?.toString() ?? '',
        /index row size \d+ exceeds btree .* \(SQLSTATE 54000\)/,
      );
      assert.equal(storeLimit?.message.headers?.[DLQ_HEADERS.eventId]?.toString(), cjk.id);
      assert.equal(storeLimit?.message.headers?.[DLQ_HEADERS.originTopic]?.toString(), 'audit.authentication');
      assert.ok(
        Buffer.from(giantLetter?.message.value ?? '').equals(poison[2]?.value ?? Buffer.alloc(0)),
        'the letter keeps the original bytes',
      );
      assert.equal((await fetch(`${app.baseUrl}/health/live`)).status, 200, 'the process did not run out of heap');
      // The host counts its letters by group and reason, those found by splitting a failed batch included.
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      const expectedCounts = new Map<string, number>();
      for (const { reason } of poison) expectedCounts.set(reason, (expectedCounts.get(reason) ?? 0) + 1);
      for (const [reason, count] of expectedCounts) {
        assert.ok(
          metrics.includes(`vigil_consumer_dead_lettered_total{group="${groupId}",reason="${reason}"} ${count}`),
          `${count} ${reason} letter(s) counted: ${metrics
            .split('\n')
            .filter((l) => l.startsWith('vigil_consumer_'))
            .join(' | ')}`,
        );
      }
      assert.match(metrics, new RegExp(`vigil_consumer_partitions_retrying\\{group="${groupId}"\\} 0`));
      process.stdout.write(`# poison figures ${JSON.stringify({ storedWithinMs })}\n`);
    } finally {
      await producer.disconnect();
      await app.stop();
      await store.drop();
    }
  });

  it('dead-letters another tenant’s event under a stored (time, id) instead of counting it a duplicate; a redelivery is still one row', async () => {
    const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
    const schemaId = await codec.schemaId('authentication');
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await startMaterializer(store.databaseUrl(), groupId);
    const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
    const producer = createRawProducer(kafka);
    await producer.connect();
    try {
      // One producer writing the same operation for two tenants, with one id and one time.
      const [first, second] = [uniqueName('tenant'), uniqueName('tenant')];
      const original = anAuditEvent({ tenantId: first });
      const other = { ...original, tenantId: second };
      const send = (e: typeof original) =>
        producer.send({
          topic: 'audit.authentication',
          acks: -1,
          messages: [{ key: e.tenantId, value: confluentFramed(schemaId, avroBody(e)) }],
        });
      await send(original);
      await waitFor(
        () => store.count(first),
        (n) => n === 1,
        'the first tenant’s event stored',
        15_000,
      );
      await send(other);
      await send(original); // a redelivery of the first: the same event, skipped
      const after = await publisher.publishMany([{ action: 'user.login.failed', tenantId: second, actor: { id: 'after' } }]);
      await waitFor(
        () => store.count(second),
        (n) => n === after.length,
        'the second tenant’s partition moved on',
        15_000,
      );
      assert.equal(await store.count(first), 1);
      const letters = await collectFrom(kafka, dlqFrom, (c) => c.length >= 1, {
        filter: (c) => c.message.key?.toString() === second && c.message.headers?.[DLQ_HEADERS.consumer]?.toString() === groupId,
      });
      const headers = letters[0]?.message.headers ?? {};
      assert.equal(headers[DLQ_HEADERS.reason]?.toString(), 'store-integrity');
      assert.equal(headers[DLQ_HEADERS.eventId]?.toString(), original.id);
      assert.match(headers[DLQ_HEADERS.detail]?.toString() ?? '', /another tenant's event is stored under the same time and id/);
    } finally {
      await producer.disconnect();
      await app.stop();
      await store.drop();
    }
  });
});
