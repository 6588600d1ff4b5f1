import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { EventCodec, allTopics } from '@vigil/events';
import { createRawKafka, createRawProducer, DEAD_LETTER_TOPIC, DLQ_HEADERS, RegistryHttpClient } from '@vigil/kafka';
import {
  anAuditEvent,
  AppProcess,
  collectFrom,
  endOffsets,
  requireStack,
  startGroupAtEnd,
  testEnv,
  uniqueName,
  waitFor,
} from '@vigil/testing';
import { TestStore } from './materializer-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'poison-e2e' }, logger);
const admin = kafka.admin();
const registry = new RegistryHttpClient({ url: testEnv.schemaRegistryUrl });
const codec = new EventCodec(registry);

/** 1,024 random CJK ideographs: 1,024 characters, 3,072 bytes of UTF-8 (PostgreSQL's btree rows hold 2,704). */
const randomCjk = (n: number) => Array.from({ length: n }, () => String.fromCodePoint(0x4e00 + randomInt(0x5000))).join('');

/** Zigzag varint, as Avro writes longs. */
function varint(n: number): Buffer {
  let z = n * 2;
  const bytes: number[] = [];
  while (z >= 128) {
    bytes.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  bytes.push(z);
  return Buffer.from(bytes);
}

describe('materializer against poison (real Kafka, registry and PostgreSQL; the app as a process)', () => {
  let publisher: AuditPublisher;
  before(async () => {
    await requireStack();
    await admin.connect();
    publisher = new AuditPublisher({
      kafka: { client: kafka },
      schemaRegistry: { url: testEnv.schemaRegistryUrl },
      service: { name: 'poison-e2e' },
      logger,
    });
  });
  after(async () => {
    await publisher.close();
    await admin.disconnect();
  });

  it('dead-letters a 3 KB CJK actor id, a non-Avro schema id and a 2^40 item count, and keeps storing everyone else', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await new AppProcess('materializer', {
      DATABASE_URL: store.databaseUrl(),
      MATERIALIZER_GROUP_ID: groupId,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    }).start();
    const hostile = uniqueName('tenant-hostile');
    const others = [uniqueName('tenant-b'), uniqueName('tenant-c')];
    try {
      const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
      const before = await publisher.publishMany(
        others.flatMap((tenantId) => [{ action: 'user.login.failed', tenantId, actor: { id: 'early' } }]),
      );

      // A producer that skips the validator (old, foreign or hostile) sends valid Avro the store cannot index.
      const cjk = anAuditEvent({ tenantId: hostile, actor: { id: randomCjk(1024), name: null, type: 'USER', roles: [] } });
      const cjkBytes = await codec.encode(cjk);
      // Schema ids the registry holds, but not of Avro schemas (a JSON Schema, a Protobuf one).
      const register = async (schemaType: string, schema: string): Promise<Buffer> => {
        const res = await fetch(`${testEnv.schemaRegistryUrl}/subjects/${uniqueName('not-avro')}/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
          body: JSON.stringify({ schemaType, schema }),
        });
        const { id } = (await res.json()) as { id?: number };
        assert.ok(typeof id === 'number', `the registry took the ${schemaType} schema`);
        const framed = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from('{}')]);
        framed.writeInt32BE(id, 1);
        return framed;
      };
      const jsonSchema = await register('JSON', JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }));
      const protobuf = await register('PROTOBUF', 'syntax = "proto3";\nmessage M { string a = 1; }\n');
      // This build's schema, with actor.roles claiming 2^40 items in a few bytes.
      const marked = await codec.encode(
        anAuditEvent({ tenantId: hostile, actor: { id: 'x', name: null, type: 'USER', roles: ['ZZZZ_MARK'] } }),
      );
      const at = marked.indexOf('ZZZZ_MARK');
      assert.deepEqual([...marked.subarray(at - 2, at)], [0x02, 0x12], 'one item, then a 9-byte string');
      const giantCount = Buffer.concat([marked.subarray(0, at - 2), varint(2 ** 40), marked.subarray(at - 1)]);

      const producer = createRawProducer(kafka);
      await producer.connect();
      await producer.send({
        topic: 'audit.authentication',
        acks: -1,
        messages: [cjkBytes, jsonSchema, protobuf, giantCount].map((value) => ({ key: hostile, value })),
      });
      await producer.disconnect();
      const sentAt = Date.now();
      const afterPoison = await publisher.publishMany(
        others.flatMap((tenantId) =>
          Array.from({ length: 50 }, (_, i) => ({ action: 'user.login.failed', tenantId, actor: { id: `late-${i}` } })),
        ),
      );
      // Every other tenant's event lands, the ones after the poison included.
      for (const tenant of others) {
        await waitFor(
          () => store.count(tenant),
          (n) => n === 51,
          `tenant ${tenant}'s 51 events`,
          60_000,
        );
      }
      const storedAfterMs = Date.now() - sentAt;
      assert.deepEqual(
        (await Promise.all(others.map((t) => store.ids(t)))).flat().sort(),
        [...before, ...afterPoison].map((e) => e.id).sort(),
      );
      assert.equal(await store.count(hostile), 0);

      const letters = (
        await collectFrom(kafka, dlqFrom, (c) => c.length >= 4, { filter: (c) => c.message.key?.toString() === hostile })
      ).sort(
        (a, b) =>
          Number(a.message.headers?.[DLQ_HEADERS.originOffset]?.toString()) -
          Number(b.message.headers?.[DLQ_HEADERS.originOffset]?.toString()),
      );
      const header = (i: number, name: string) => letters[i]?.message.headers?.[name]?.toString() ?? '';
      const reasons = letters.map((_, i) => header(i, DLQ_HEADERS.reason));
      const details = letters.map((_, i) => header(i, DLQ_HEADERS.detail));
      // In the order sent: the CJK event (refused by the store), then the three undecodable messages.
      assert.deepEqual(reasons, ['store-program-limit', 'avro', 'avro', 'avro'], details.join(' | '));
      assert.match(details[0] ?? '', /index row size/);
      assert.equal(header(0, DLQ_HEADERS.eventId), cjk.id);
      assert.match(details[1] ?? '', /not a valid Avro schema/);
      assert.match(details[2] ?? '', /not an Avro schema/);
      assert.match(details[3] ?? '', /claims 1099511627776 items/);
      assert.ok(letters.every((_, i) => header(i, DLQ_HEADERS.consumer) === groupId));
      // Each letter once: the split finds the event at fault without writing letters on every attempt.
      assert.equal(letters.length, 4);
      process.stdout.write(`# other tenants' 100 events after the poison stored within ${storedAfterMs} ms\n`);
      const health = await fetch(`${app.baseUrl}/health/live`);
      assert.equal(health.status, 200, 'the materializer is still alive');
    } finally {
      await app.stop();
      await store.drop();
    }
  });
});
