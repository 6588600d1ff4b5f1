// Information for a later decision, not a Vigil path (issue 18: "kafkajs stays the client; a benchmark may compare a
// maintained client behind libs/kafka side by side"): the SDK's own records (tenant key, Avro value, event id header),
// produced raw through kafkajs, the client every Vigil path uses, and through @platformatic/kafka (pure JavaScript;
// it takes @node-rs/crc32's CRC-32C where that optional package is installed, as it is here, and reports which), in
// the same batches of 1,000, with IN_FLIGHT requests at a time, acks=-1, to one topic of six partitions.
//
// A warm-up round of each, untimed, then BENCH_ROUNDS (default 3) rounds taking turns going first; each figure is the
// rounds' median: messages a second, and this process's CPU (every thread, the garbage collector's included) per
// message. The broker's CPU is the same work for both and is not counted.
import { createRequire } from 'node:module';
import pino from 'pino';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import { AuditPublisher } from '@vigil/audit-sdk';
import { EventCodec } from '@vigil/events';
import { createRawKafka, createRawProducer, RegistryHttpClient } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { benchInput } from './lib/bench-event.factory';
import { machine, median, round, writeReport } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
const IN_FLIGHT = benchEnv().BENCH_IN_FLIGHT ?? 3;
const ROUNDS = benchEnv().BENCH_ROUNDS ?? 3;
const BATCH = 1000;
const WARM_UP_EVENTS = Math.min(EVENTS, 20_000);
const HEADER = 'vigil-event-id';

interface BenchRecord {
  key: Buffer;
  value: Buffer;
  id: Buffer;
}

/** Messages a second and this process's CPU µs a message, of `send` over the records in batches, IN_FLIGHT at a time. */
async function measure(
  records: readonly BenchRecord[],
  send: (batch: readonly BenchRecord[]) => Promise<unknown>,
): Promise<{ rate: number; cpuMicros: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < records.length) {
        const from = next;
        next += BATCH;
        await send(records.slice(from, from + BATCH));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: records.length / seconds, cpuMicros: (used.user + used.system) / records.length };
}

/** Whether @platformatic/kafka finds @node-rs/crc32 (its native CRC-32C) from where it is installed. */
function nativeCrcFound(): boolean {
  try {
    createRequire(require.resolve('@platformatic/kafka'))('@node-rs/crc32');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const startedAt = new Date().toISOString();
  const topic = uniqueName('bench-clients');
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });

  // The sdk-publish benchmark's events, prepared and encoded as the SDK does, outside every clock.
  const publisher = new AuditPublisher({
    kafka: { brokers: ['127.0.0.1:9'] }, // prepare() connects to nothing
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench', version: '1.0.0' },
  });
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'register' });
  const schemaId = await codec.schemaId('authentication');
  const tenant = uniqueName('bench');
  const records: BenchRecord[] = Array.from({ length: EVENTS }, (_, i) => {
    const event = publisher.prepare(benchInput(i, tenant));
    return { key: Buffer.from(event.tenantId), value: codec.encodeWithId(schemaId, event), id: Buffer.from(event.id) };
  });

  const kafkajs = createRawProducer(kafka, { idempotent: false, maxInFlightRequests: IN_FLIGHT });
  await kafkajs.connect();
  const viaKafkajs = (batch: readonly BenchRecord[]) =>
    kafkajs.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: batch.map((r) => ({ key: r.key, value: r.value, headers: { [HEADER]: r.id } })) }],
    });
  const platformatic = new Producer({
    clientId: 'vigil-bench-platformatic',
    bootstrapBrokers: testEnv.kafkaBrokers,
    maxInflights: IN_FLIGHT,
  });
  const headerKey = Buffer.from(HEADER);
  const viaPlatformatic = (batch: readonly BenchRecord[]) =>
    platformatic.send({
      // Per send: the client's send() does not read the constructor's acks (it takes the leader's alone unless told).
      acks: ProduceAcks.ALL,
      messages: batch.map((r) => ({ topic, key: r.key, value: r.value, headers: new Map([[headerKey, r.id]]) })),
    });

  const kafkajsRounds: { rate: number; cpuMicros: number }[] = [];
  const platformaticRounds: { rate: number; cpuMicros: number }[] = [];
  try {
    const warmUp = records.slice(0, WARM_UP_EVENTS);
    await measure(warmUp, viaKafkajs);
    await measure(warmUp, viaPlatformatic);
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        kafkajsRounds.push(await measure(records, viaKafkajs));
        platformaticRounds.push(await measure(records, viaPlatformatic));
      } else {
        platformaticRounds.push(await measure(records, viaPlatformatic));
        kafkajsRounds.push(await measure(records, viaKafkajs));
      }
    }
    // Every message of every round is on the topic, once: a client that lost or doubled some would not be faster.
    const written = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    const sent = 2 * (WARM_UP_EVENTS + ROUNDS * EVENTS);
    if (written !== sent) throw new Error(`the topic holds ${written} messages, ${sent} were sent`);
  } finally {
    await kafkajs.disconnect();
    await platformatic.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }

  const rate = (rounds: { rate: number }[]) => median(rounds.map((r) => r.rate));
  const cpu = (rounds: { cpuMicros: number }[]) => round(median(rounds.map((r) => r.cpuMicros)));
  const each = (rounds: { rate: number }[]) => rounds.map((r) => Math.round(r.rate)).join(' / ');
  writeReport({
    bench: 'kafka-clients',
    startedAt,
    machine: machine(),
    parameters: {
      events: EVENTS,
      rounds: ROUNDS,
      batch: BATCH,
      inFlight: IN_FLIGHT,
      partitions: 6,
      avroBytesPerEvent: Math.round(records.reduce((n, r) => n + r.value.length, 0) / EVENTS),
      platformaticCrc32c: nativeCrcFound() ? '@node-rs/crc32 (native)' : 'JavaScript',
    },
    measurements: [
      {
        name: `raw kafkajs produce, SDK records, ${IN_FLIGHT} in flight`,
        value: rate(kafkajsRounds),
        unit: 'msg/s',
        extra: { rounds: each(kafkajsRounds), processCpuMicrosPerMessage: cpu(kafkajsRounds) },
      },
      {
        name: `raw @platformatic/kafka produce, same records, ${IN_FLIGHT} in flight`,
        value: rate(platformaticRounds),
        unit: 'msg/s',
        extra: { rounds: each(platformaticRounds), processCpuMicrosPerMessage: cpu(platformaticRounds) },
      },
    ],
    ratios: {
      '@platformatic/kafka / kafkajs, rate': median(platformaticRounds.map((p, i) => p.rate / (kafkajsRounds[i]?.rate ?? Number.NaN))),
      '@platformatic/kafka / kafkajs, CPU per message': median(
        platformaticRounds.map((p, i) => p.cpuMicros / (kafkajsRounds[i]?.cpuMicros ?? Number.NaN)),
      ),
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
