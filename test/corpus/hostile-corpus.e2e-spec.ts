import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Clock } from '@vigil/common';
import { allTopics, EventCodec, type AuditEvent } from '@vigil/events';
import {
  AuditBatchConsumer,
  createRawKafka,
  createRawProducer,
  DEAD_LETTER_TOPIC,
  DLQ_HEADERS,
  RegistryHttpClient,
  type DeadLetter,
} from '@vigil/kafka';
import { WebhookConnector, webhookSpec } from '@vigil/sinks';
import {
  registerForeignSchema,
  collectFrom,
  endOffsets,
  requireStack,
  startGroupAtEnd,
  testEnv,
  uniqueName,
  waitFor,
  type Collected,
} from '@vigil/testing';
import { ConnectorHarness, logger as connectorLogger } from '../connectors/connector-test.util';
import { WebhookDouble } from '../doubles/webhook.double';
import { startMaterializer, TestStore } from '../materializer/materializer-test.util';
import { hostileCorpus, type CorpusCase } from './hostile-corpus.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'hostile-corpus-e2e' }, logger);
const admin = kafka.admin();
const harness = new ConnectorHarness();
const TOPIC = 'audit.authentication';

/** The live tail's reading of the topics (LiveEventsConsumer's options): from the end, undecodable messages skipped. */
function liveTail(codec: EventCodec, seen: AuditEvent[]): AuditBatchConsumer {
  return new AuditBatchConsumer(
    { group: uniqueName('vigil-query-live'), topics: allTopics(), fromBeginning: false, undecodable: 'skip', deleteGroupOnStop: true },
    (batch) => {
      seen.push(...batch.messages.map((m) => m.event));
      return Promise.resolve();
    },
    { kafka, codec, clock: new Clock(), logger },
  );
}

interface Sent {
  item: CorpusCase;
  partition: number;
  offset: string;
  sentAt: number;
}

function lettersBy(letters: readonly Collected[], consumer: string): Map<string, DeadLetter['reason'][]> {
  const byOrigin = new Map<string, string[]>();
  for (const { message } of letters) {
    const h = message.headers ?? {};
    if (h[DLQ_HEADERS.consumer]?.toString() !== consumer) continue;
    const origin = `${h[DLQ_HEADERS.originPartition]?.toString()}:${h[DLQ_HEADERS.originOffset]?.toString()}`;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), h[DLQ_HEADERS.reason]?.toString() ?? '?']);
  }
  return byOrigin;
}

describe('hostile-input corpus (raw Kafka records; materializer, webhook connector and live tail at once)', () => {
  before(async () => {
    await requireStack();
    await admin.connect();
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await admin.disconnect();
  });

  it('stores and delivers every good event, dead-letters every bad one once with its reason, and stalls no partition', async () => {
    const registry = new RegistryHttpClient({ url: testEnv.schemaRegistryUrl });
    const codec = new EventCodec(registry, { schemaIds: 'lookup' });
    const ids = {
      avro: await codec.schemaId('authentication'),
      json: await registerForeignSchema(
        'JSON',
        '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"string"}}}',
      ),
      protobuf: await registerForeignSchema('PROTOBUF', 'syntax = "proto3";\nmessage Login { string user = 1; }\n'),
    };
    const corpusTenant = uniqueName('corpus');
    const corpus = hostileCorpus(ids, corpusTenant);
    assert.ok(corpus.length >= 200, `corpus of ${corpus.length} cases`);

    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await startMaterializer(store.databaseUrl(), groupId);
    const hook = await WebhookDouble.start();
    const from = await harness.endOffsets();
    const definition = harness.definition(
      webhookSpec,
      { url: hook.url, allowInsecureHttp: true, signingSecretEnv: 'HOOK_SECRET' },
      { HOOK_SECRET: hook.secret },
    );
    const connectorGroup = `vigil-connector-${definition.name}`;
    await harness.start(definition, new WebhookConnector(definition, connectorLogger), from);
    const tailed: AuditEvent[] = [];
    const tail = liveTail(codec, tailed);
    await tail.start();
    await tail.whenJoined();
    const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
    const producer = createRawProducer(kafka);
    await producer.connect();
    try {
      // Each corpus record goes alone (its offset is its origin), and every 10th is followed by good events of other tenants.
      const goodTenants = Array.from({ length: 5 }, () => uniqueName('good'));
      const good: AuditEvent[] = [];
      const sent: Sent[] = [];
      for (const [i, item] of corpus.entries()) {
        const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: item.key, value: item.value }] });
        assert.ok(meta?.baseOffset !== undefined);
        sent.push({ item, partition: meta.partition, offset: meta.baseOffset, sentAt: Date.now() });
        if (i % 10 === 9) good.push(...(await harness.publish(goodTenants[i % 5] ?? 'good', 3)));
      }
      const lastSentAt = Date.now();

      const expectLetter = sent.filter((s) => s.item.expected.kind === 'dead-letter');
      const expectStored = sent.filter((s) => s.item.expected.kind === 'stored');
      const decodable = sent.filter((s) => s.item.decodes);
      const storedIds = new Set(expectStored.map((s) => s.item.eventId));

      // Materializer: every good event and every valid-but-odd one stored; every bad one lettered once.
      const goodStored = await waitFor(
        async () => (await Promise.all(goodTenants.map((t) => store.count(t)))).reduce((a, b) => a + b, 0),
        (n) => n === good.length,
        `${good.length} good events stored`,
        60_000,
      );
      const allGoodStoredMs = Date.now() - lastSentAt;
      // Waits until every expected letter arrived, or 30 s passed; the per-case assertions below then name what is missing.
      const deadline = Date.now() + 30_000;
      const letters = await collectFrom(kafka, dlqFrom, (c) => lettersBy(c, groupId).size >= expectLetter.length || Date.now() > deadline, {
        timeoutMs: 60_000,
      });
      const materializerLetters = lettersBy(letters, groupId);
      // Every mismatch at once, so a corpus expectation that disagrees with the store is named with all the others.
      const mismatches = sent.flatMap((s) => {
        const reasons = materializerLetters.get(`${s.partition}:${s.offset}`) ?? [];
        const expected = s.item.expected;
        if (expected.kind === 'dead-letter')
          return reasons.length === 1 && expected.reasons.includes(reasons[0] ?? '')
            ? []
            : [`${s.item.name}: letters [${reasons.join(',')}]`];
        return reasons.length === 0 ? [] : [`${s.item.name}: expected ${expected.kind}, lettered ${reasons.join(',')}`];
      });
      assert.deepEqual(mismatches, [], 'materializer outcome per corpus case');
      // The corpus tenant, and the same with NUL sanitised to U+FFFD (the "NUL in tenantId" cases).
      const rows = await store.pool.query<{ id: string }>(`SELECT id FROM ${store.schema}.audit_event WHERE tenant_id IN ($1, $2)`, [
        corpusTenant,
        `${corpusTenant}\uFFFD`,
      ]);
      const storedNow = new Set(rows.rows.map((r) => r.id));
      const nameOf = (id: string | undefined) => sent.find((s) => s.item.eventId === id)?.item.name ?? id;
      const missing = [...storedIds].filter((id) => id !== undefined && !storedNow.has(id)).map(nameOf);
      const extra = [...storedNow].filter((id) => !storedIds.has(id)).map(nameOf);
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'exactly the valid-but-odd corpus events are stored, once');
      assert.equal(rows.rows.length, storedIds.size, 'each stored once');

      // Webhook connector: every good and every decodable corpus event delivered; every undecodable one lettered.
      const wanted = new Set([...good.map((e) => e.id), ...decodable.flatMap((s) => s.item.eventId ?? [])]);
      await waitFor(
        () => new Set(hook.eventIds().filter((id) => wanted.has(id))).size,
        (n) => n === wanted.size,
        `${wanted.size} events at the webhook`,
        60_000,
      );
      const undecodable = sent.filter((s) => !s.item.decodes);
      const connectorDeadline = Date.now() + 30_000;
      const connectorLetters = lettersBy(
        await collectFrom(
          kafka,
          dlqFrom,
          (c) => lettersBy(c, connectorGroup).size >= undecodable.length || Date.now() > connectorDeadline,
          {
            timeoutMs: 60_000,
          },
        ),
        connectorGroup,
      );
      assert.deepEqual(
        undecodable.filter((s) => connectorLetters.get(`${s.partition}:${s.offset}`)?.length !== 1).map((s) => s.item.name),
        [],
        'every undecodable case lettered once by the connector',
      );

      // Live tail: every decodable event shown, nothing else.
      await waitFor(
        () => new Set(tailed.map((e) => e.id).filter((id) => wanted.has(id))).size,
        (n) => n === wanted.size,
        `${wanted.size} events on the live tail`,
        60_000,
      );

      // No process exit, and no partition held longer than the bounded retries: a letter follows its record within seconds.
      assert.equal((await fetch(`${app.baseUrl}/health/live`)).status, 200);
      const waits = letters.flatMap(({ message }) => {
        const h = message.headers ?? {};
        if (h[DLQ_HEADERS.consumer]?.toString() !== groupId) return [];
        const origin = sent.find(
          (s) =>
            `${s.partition}:${s.offset}` === `${h[DLQ_HEADERS.originPartition]?.toString()}:${h[DLQ_HEADERS.originOffset]?.toString()}`,
        );
        return origin === undefined ? [] : [Date.parse(h[DLQ_HEADERS.time]?.toString() ?? '') - origin.sentAt];
      });
      const longestWaitMs = Math.max(...waits);
      const figures = {
        corpus: corpus.length,
        goodEvents: good.length,
        materializer: {
          stored: goodStored + rows.rows.length,
          deadLettered: materializerLetters.size,
          expired: sent.length - expectLetter.length - expectStored.length,
        },
        webhook: { delivered: wanted.size, deadLettered: connectorLetters.size },
        liveTail: { shown: wanted.size, skipped: undecodable.length },
        longestWaitMs,
        allGoodStoredAfterLastSendMs: allGoodStoredMs,
      };
      process.stdout.write(`# corpus figures ${JSON.stringify(figures)}\n`);
      assert.ok(longestWaitMs < 20_000, `longest partition wait ${longestWaitMs} ms`);
    } finally {
      await producer.disconnect();
      await tail.stop();
      await app.stop();
      await hook.close();
      await store.drop();
    }
  });
});
