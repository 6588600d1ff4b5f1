import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { ManualClock } from '@vigil/common';
import { ConfigModule, defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { EventCodec, type AuditEvent } from '@vigil/events';
import {
  AUDIT_EVENT_CODEC,
  AuditBatchConsumer,
  AuditBatchHandler,
  AuditBatchTransport,
  ConsumerHostModule,
  createRawKafka,
  createRawProducer,
  DEAD_LETTER_TOPIC,
  DeadLetterProducer,
  DLQ_HEADERS,
  KafkaModule,
  RegistryHttpClient,
  type AuditBatchHandlerOptions,
  type DecodedBatch,
} from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { anAuditEvent, collectFrom, endOffsets, requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'consumer-host-int-spec' }, logger);
const admin = kafka.admin();
const registryCodec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'register' });
/** Real Avro through the real registry; each test's topic is its own, so decoding reads them as authentication events. */
const anyTopicCodec = { decode: (value: Buffer | null) => registryCodec.decode(value, 'audit.authentication') };
const configSchema = defineConfig({ ...kafkaEnv, ...registryEnv, ...httpEnv(0), ...logEnv });
const env = { KAFKA_BROKERS: testEnv.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl, LOG_LEVEL: 'silent' };

const HANDLER = Symbol('HANDLER');
interface HandlerSpec {
  options: AuditBatchHandlerOptions;
  onBatch(batch: DecodedBatch): Promise<void>;
}

/** A handler declared exactly as an app declares one. */
@Injectable()
class RecordingConsumer {
  constructor(@Inject(HANDLER) readonly spec: HandlerSpec) {}

  @AuditBatchHandler((self: RecordingConsumer) => self.spec.options)
  handle(batch: DecodedBatch): Promise<void> {
    return this.spec.onBatch(batch);
  }
}

/** A Nest app with the handler, the transport connected as a microservice (`connectMicroservice({ strategy })`). */
async function startApp(spec: HandlerSpec): Promise<INestApplication> {
  @Module({
    imports: [
      ConfigModule.forRoot(configSchema, env),
      ObservabilityModule.forRoot({ name: 'consumer-host-test', readiness: [] }),
      KafkaModule,
      ConsumerHostModule,
    ],
    providers: [{ provide: HANDLER, useValue: spec }, RecordingConsumer],
  })
  class HostTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HostTestModule] })
    .overrideProvider(AUDIT_EVENT_CODEC)
    .useValue(anyTopicCodec)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.connectMicroservice({ strategy: app.get(AuditBatchTransport) });
  await app.init();
  await app.startAllMicroservices();
  return app;
}

async function topic(): Promise<string> {
  const name = uniqueName('host');
  await admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }], waitForLeaders: true });
  return name;
}

/** Produces events (Avro) and raw garbage, in the given order, to one partition. */
async function produce(topicName: string, items: readonly (AuditEvent | 'garbage')[]): Promise<void> {
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = await Promise.all(
    items.map(async (item) => ({ key: 'k', value: item === 'garbage' ? Buffer.from('not avro') : await registryCodec.encode(item) })),
  );
  await producer.send({ topic: topicName, acks: -1, messages });
  await producer.disconnect();
}

async function committed(groupId: string, topicName: string): Promise<string | undefined> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topicName] });
  return entry?.partitions[0]?.offset;
}

const events = (n: number, prefix: string): AuditEvent[] =>
  Array.from({ length: n }, (_, i) => anAuditEvent({ description: `${prefix}-${i}` }));
const descriptions = (batch: DecodedBatch): string[] => batch.messages.map((m) => m.event.description ?? '');

describe(AuditBatchTransport.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
  });

  it('hands a handler declared with @AuditBatchHandler decoded batches, and commits them', async () => {
    const name = await topic();
    const group = uniqueName('group');
    const seen: string[] = [];
    await produce(name, events(5, 'e'));
    const app = await startApp({
      options: { group, topics: [name] },
      onBatch: (batch) => {
        seen.push(...descriptions(batch));
        return Promise.resolve();
      },
    });
    try {
      await waitFor(
        () => committed(group, name),
        (o) => o === '5',
        'the batch to be committed',
      );
      assert.deepEqual(seen, ['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);
      assert.ok(app.get(AuditBatchTransport).consumer(group)?.joined);
    } finally {
      await app.close();
      await admin.deleteTopics({ topics: [name] });
    }
  });

  it('commits a batch only after the handler resolved: stopped mid-batch, the batch is delivered again', async () => {
    const name = await topic();
    const group = uniqueName('group');
    await produce(name, events(3, 'r'));
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let inProgress = false;
    const dying = await startApp({
      options: { group, topics: [name] },
      onBatch: async () => {
        inProgress = true;
        await blocked;
        throw new Error('killed');
      },
    });
    await waitFor(
      () => inProgress,
      (v) => v,
      'the batch to be in progress',
    );
    const closing = dying.close();
    release();
    await closing;
    assert.equal(await committed(group, name), '-1', 'nothing committed for the abandoned batch');

    const again: string[] = [];
    const next = await startApp({
      options: { group, topics: [name] },
      onBatch: (batch) => {
        again.push(...descriptions(batch));
        return Promise.resolve();
      },
    });
    try {
      await waitFor(
        () => committed(group, name),
        (o) => o === '3',
        'the re-delivered batch to be committed',
      );
      assert.deepEqual(again, ['r-0', 'r-1', 'r-2']);
    } finally {
      await next.close();
      await admin.deleteTopics({ topics: [name] });
    }
  });

  it('dead-letters an undecodable message exactly once, with a coded reason, while the handler fails and the batch is retried', async () => {
    const name = await topic();
    const group = uniqueName('group');
    const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
    await produce(name, [anAuditEvent({ description: 'before' }), 'garbage', anAuditEvent({ description: 'after' })]);
    let attempts = 0;
    const seen: string[] = [];
    const app = await startApp({
      options: { group, topics: [name], retry: { initialMs: 20, maxMs: 40 } },
      onBatch: (batch) => {
        if (++attempts < 3) return Promise.reject(new Error('database down'));
        seen.push(...descriptions(batch));
        return Promise.resolve();
      },
    });
    try {
      await waitFor(
        () => committed(group, name),
        (o) => o === '3',
        'the batch to be committed after two failures',
      );
    } finally {
      await app.close();
    }
    assert.equal(attempts, 3);
    assert.deepEqual(seen, ['before', 'after']);
    // Every letter written before the commit is on the topic now: read up to its current end.
    const dlqTo = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
    const last = [...(dlqTo.get(DEAD_LETTER_TOPIC) ?? [])].filter(
      ([p, end]) => BigInt(end) > BigInt(dlqFrom.get(DEAD_LETTER_TOPIC)?.get(p) ?? end),
    );
    const letters = await collectFrom(kafka, dlqFrom, (c) =>
      last.every(([p, end]) => c.some((m) => m.partition === p && BigInt(m.message.offset) === BigInt(end) - 1n)),
    );
    const ours = letters.filter((l) => l.message.headers?.[DLQ_HEADERS.originTopic]?.toString() === name);
    assert.equal(ours.length, 1, 'one letter, although the batch was attempted three times');
    assert.equal(ours[0]?.message.headers?.[DLQ_HEADERS.reason]?.toString(), 'framing');
    assert.equal(ours[0]?.message.headers?.[DLQ_HEADERS.originOffset]?.toString(), '1');
    assert.equal(ours[0]?.message.headers?.[DLQ_HEADERS.consumer]?.toString(), group);
    await admin.deleteTopics({ topics: [name] });
  });

  it('stops a bounded read at the high watermark fixed when it started', async () => {
    const name = await topic();
    const group = uniqueName('group');
    await produce(name, events(4, 'in'));
    const seen: string[] = [];
    const deadLetters = new DeadLetterProducer(kafka, group);
    const consumer = new AuditBatchConsumer(
      { group, topics: [name], until: 'high-watermark' },
      (batch) => {
        seen.push(...descriptions(batch));
        return Promise.resolve();
      },
      { kafka, codec: anyTopicCodec, deadLetters, clock: new ManualClock(new Date()), logger },
    );
    try {
      await consumer.start();
      await produce(name, events(3, 'late'));
      await consumer.finished;
      assert.deepEqual(seen.slice(0, 4), ['in-0', 'in-1', 'in-2', 'in-3']);
      assert.ok(!seen.some((d) => d.startsWith('late')), 'nothing past the end fixed at start');
    } finally {
      await consumer.stop();
      await deadLetters.close();
      await admin.deleteTopics({ topics: [name] });
    }
  });
});
