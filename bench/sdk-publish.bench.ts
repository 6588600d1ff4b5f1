// SDK publish throughput (validate + Avro + batch, acks=-1) against raw kafkajs producing the very same records
// (the SDK's Avro values, keys and headers, batches of 1,000) with the same number of requests in flight, in the
// same run and on the same topic configuration: what the SDK costs over Kafka itself.
// Goals (issue 18): at least 50,000 events/s, and at least 0.9x raw produce at the same concurrency.
//
// The SDK twice: as it comes (kafkajs on the publishing thread) and with `producerThread` (kafkajs on a worker thread of
// its own, with connections of its own).
//
// A warm-up round of each, untimed, then BENCH_ROUNDS (default 3) rounds of the SDKs (taking turns going first) then raw
// produce (one producer for all rounds), each round on new events; the figures are the rounds' medians, and the ratio
// the median of the rounds' ratios. With one round and no warm-up (the bench until 2026-11-28), the SDK always went
// first, with kafkajs' encoder and the broker's new segment still cold, and raw produce second on both warmed up: the
// ratio ran 0.55-0.78 at 100,000 events and 0.99 at 300,000 on the same build.
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { EventCodec, type AuditEvent } from '@vigil/events';
import { createRawKafka, createRawProducer, RegistryHttpClient, type RawProducer } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { BENCH_TENANTS, benchInput } from './lib/bench-event.factory';
import { machine, median, percentile, round, secondsSince, writeReport } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
/** Produce requests in flight, for the SDK (batch.maxInFlight, its default) and the raw baseline alike. */
const IN_FLIGHT = benchEnv().BENCH_IN_FLIGHT ?? 3;
const ROUNDS = benchEnv().BENCH_ROUNDS ?? 3;
const WARM_UP_EVENTS = Math.min(EVENTS, 20_000);
/** The steady rate at which each SDK's cost to the publishing thread is measured (events/s), for STEADY_SECONDS. */
const STEADY_RATE = benchEnv().BENCH_RATE ?? 10_000;
const STEADY_SECONDS = 5;
const logger = pino({ level: 'warn' });

interface Round {
  sdk: number;
  threaded: number;
  raw: number;
  avroBytes: number;
}

/**
 * One round: the SDK publishes `count` events as a service would (concurrent publish() calls, each resolving after
 * the ack), then raw kafkajs produces the SDK's own records of them (Avro value, tenant key, event id header), made
 * outside the clock, in batches of 1,000 with IN_FLIGHT requests at a time, acks=-1, to a topic of its own.
 */
async function measureRound(
  producer: RawProducer,
  publishers: { inline: AuditPublisher; threaded: AuditPublisher },
  codec: EventCodec,
  rawTopic: string,
  first: number,
  count: number,
  tenant: string,
  threadedFirst: boolean,
): Promise<Round> {
  const threadedRun = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: count }, (_, i) => publishers.threaded.publish(benchInput(first + count + i, tenant))));
    return secondsSince(start);
  };
  const inlineRun = async (): Promise<{ seconds: number; events: AuditEvent[] }> => {
    const start = process.hrtime.bigint();
    const events = await Promise.all(Array.from({ length: count }, (_, i) => publishers.inline.publish(benchInput(first + i, tenant))));
    return { seconds: secondsSince(start), events };
  };
  // The two SDKs take turns going first; raw produce goes last, as it sends the records of the in-thread SDK's events.
  let threadedSeconds: number;
  let inline: { seconds: number; events: AuditEvent[] };
  if (threadedFirst) {
    threadedSeconds = await threadedRun();
    inline = await inlineRun();
  } else {
    inline = await inlineRun();
    threadedSeconds = await threadedRun();
  }

  const schemaId = await codec.schemaId('authentication');
  const records = inline.events.map((e) => ({
    key: e.tenantId,
    value: codec.encodeWithId(schemaId, e),
    headers: { 'vigil-event-id': e.id },
  }));
  const avroBytes = records.reduce((n, r) => n + r.value.length, 0);
  let next = 0;
  const rawStart = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < records.length) {
        const from = next;
        next += 1000;
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: rawTopic, messages: records.slice(from, from + 1000) }] });
      }
    }),
  );
  const rawSeconds = secondsSince(rawStart);
  return { sdk: count / inline.seconds, threaded: count / threadedSeconds, raw: count / rawSeconds, avroBytes };
}

interface Steady {
  /** Share of the time the publishing thread's event loop was busy (performance.eventLoopUtilization). */
  threadBusy: number;
  /** CPU of the whole process (every thread), in cores. */
  processCores: number;
  /** publish() call to its promise resolving (after the ack), ms. */
  p50: number;
  p99: number;
}

/**
 * A service's view: events published at a steady rate for STEADY_SECONDS, paced by timers as requests would come,
 * 50 tenants. What the SDK costs the thread that calls publish(), and the process in all.
 */
async function measureSteady(publisher: AuditPublisher, tenant: string): Promise<Steady> {
  const total = STEADY_RATE * STEADY_SECONDS;
  const latencies: number[] = [];
  const sends: Promise<void>[] = [];
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = begin + (i * 1000) / STEADY_RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const at = performance.now();
    sends.push(publisher.publish(benchInput(i, tenant)).then(() => void latencies.push(performance.now() - at)));
  }
  await Promise.all(sends);
  const seconds = (performance.now() - begin) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    threadBusy: performance.eventLoopUtilization(elu).utilization,
    processCores: (used.user + used.system) / 1e6 / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const startedAt = new Date().toISOString();
  const tenant = uniqueName('bench');
  const rawTopic = uniqueName('bench-raw');
  await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 6 }], waitForLeaders: true });

  const publisher = new AuditPublisher({
    kafka: { client: kafka },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench', version: '1.0.0' },
    batch: { maxInFlight: IN_FLIGHT },
    logger,
  });
  const threaded = new AuditPublisher({
    kafka: { brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench-thread' },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench', version: '1.0.0' },
    batch: { maxInFlight: IN_FLIGHT },
    producerThread: true,
    logger,
  });
  const publishers = { inline: publisher, threaded };
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'register' });
  // One raw producer for every round: connected, and its topic's metadata fetched, in the warm-up round.
  const rawProducer = createRawProducer(kafka, { idempotent: false, maxInFlightRequests: IN_FLIGHT });
  await rawProducer.connect();
  await measureRound(rawProducer, publishers, codec, rawTopic, 0, WARM_UP_EVENTS, tenant, true);
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++)
    rounds.push(
      await measureRound(rawProducer, publishers, codec, rawTopic, 2 * (WARM_UP_EVENTS + r * EVENTS), EVENTS, tenant, r % 2 === 1),
    );
  const steadyInline = await measureSteady(publisher, `${tenant}-steady`);
  const steadyThreaded = await measureSteady(threaded, `${tenant}-steady`);
  await rawProducer.disconnect();
  await publisher.close();
  await threaded.close();
  await admin.deleteTopics({ topics: [rawTopic] }).catch(() => undefined);
  await admin.disconnect();

  const sdkRate = median(rounds.map((r) => r.sdk));
  const threadedRate = median(rounds.map((r) => r.threaded));
  const rawRate = median(rounds.map((r) => r.raw));
  const each = (pick: (r: Round) => number): string => rounds.map((r) => round(pick(r))).join(' / ');
  writeReport({
    bench: 'sdk-publish',
    startedAt,
    machine: machine(),
    parameters: {
      events: EVENTS,
      rounds: ROUNDS,
      warmUpEvents: WARM_UP_EVENTS,
      tenants: BENCH_TENANTS,
      avroBytesPerEvent: Math.round((rounds[0]?.avroBytes ?? 0) / EVENTS),
      rawBatch: 1000,
      inFlight: IN_FLIGHT,
      steadyRate: STEADY_RATE,
      steadySeconds: STEADY_SECONDS,
    },
    measurements: [
      { name: 'SDK publish (validate + Avro + batch, acks=-1)', value: sdkRate, unit: 'events/s', extra: { rounds: each((r) => r.sdk) } },
      {
        name: 'SDK publish, producerThread',
        value: threadedRate,
        unit: 'events/s',
        extra: { rounds: each((r) => r.threaded) },
      },
      {
        name: `raw kafkajs produce, same records, ${IN_FLIGHT} in flight`,
        value: rawRate,
        unit: 'msg/s',
        extra: { rounds: each((r) => r.raw) },
      },
      ...(
        [
          ['SDK', steadyInline],
          ['SDK, producerThread', steadyThreaded],
        ] as const
      ).map(([name, steady]) => ({
        name: `${name} at a steady ${STEADY_RATE} events/s: publishing thread busy`,
        value: steady.threadBusy * 100,
        unit: '%',
        extra: { processCores: round(steady.processCores), publishP50Ms: round(steady.p50), publishP99Ms: round(steady.p99) },
      })),
    ],
    ratios: {
      'SDK / raw produce at the same concurrency': median(rounds.map((r) => r.sdk / r.raw)),
      'SDK with producerThread / raw produce': median(rounds.map((r) => r.threaded / r.raw)),
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
