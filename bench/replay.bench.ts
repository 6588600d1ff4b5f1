// Replay throughput (issue 7), with a raw kafkajs consume of the same range as the same-run baseline.
//  1. BENCH_EVENTS (default 1,000,000) pre-encoded events are produced to audit.authentication.
//  2. `vigil replay` (the compiled CLI, as an operator runs it; --rate unset) sends them to a new Splunk connector
//     whose HEC is a minimal fast HTTP sink in this process: timed from the first event the sink accepts to the last,
//     and as the whole command (planning, group joins, hand-over included).
//  3. A fresh kafkajs consumer reads the same offset range (from the replay's dry run) without decoding or sending.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EventCodec } from '@vigil/events';
import { createKafka, RegistryHttpClient, type KafkaClient } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { benchEvent } from './lib/bench-event.factory';
import { runCli } from './lib/cli-run.util';
import { startFastHec } from './lib/fast-hec.util';
import { rawConsume } from './lib/raw-consume.util';
import { machine, secondsSince, writeReport } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 1_000_000;
const TOPIC = 'audit.authentication';
const logger = pino({ level: 'warn' });

interface Range {
  topic: string;
  partition: number;
  start: string;
  end: string;
}

async function produce(kafka: KafkaClient, tenant: string): Promise<void> {
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }));
  const schemaId = await codec.schemaId('authentication');
  // kafkajs' default partitioner (murmur2 on the key, as the SDK's) places the events as the SDK would.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const nowMicros = Date.now() * 1000;
  for (let i = 0; i < EVENTS; i += 5000) {
    const chunk = Array.from({ length: Math.min(5000, EVENTS - i) }, (_, j) => benchEvent(i + j, tenant, nowMicros + i + j, nowMicros));
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic: TOPIC, messages: chunk.map((e) => ({ key: e.tenantId, value: codec.encodeWithId(schemaId, e) })) }],
    });
  }
  await producer.disconnect();
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const tenant = uniqueName('bench-replay');
  const from = new Date().toISOString();
  await produce(kafka, tenant);

  const hec = await startFastHec();
  const name = uniqueName('bench-replay');
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-bench-replay-')), 'vigil.config.yaml');
  writeFileSync(
    config,
    `connectors:\n  - name: ${name}\n    type: splunk\n    tenants: all\n    categories: [authentication]\n    batch: { maxEvents: 2000, maxBytes: 5000000, lingerMs: 50 }\n    splunk: { url: '${hec.url}', allowInsecureHttp: true, tokenEnv: BENCH_HEC_TOKEN }\n`,
  );
  const env = {
    VIGIL_CONFIG: config,
    BENCH_HEC_TOKEN: 'bench',
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
  };
  // The events are stamped as they are produced, after `from`: no lookback, so the range is exactly them whatever the
  // stack's topics held before (the default would also read, and skip, the day before `from`).
  const dry = await runCli(['replay', '--connector', name, '--from', from, '--lookback', '0m', '--dry-run', '--json'], env);
  if (dry.code !== 0) throw new Error(`dry run failed: ${dry.stderr}`);
  const plan = JSON.parse(dry.stdout) as { total: number; partitions: Range[] };

  const commandStarted = process.hrtime.bigint();
  const run = await runCli(['replay', '--connector', name, '--from', from, '--lookback', '0m', '--json'], env);
  const commandSeconds = secondsSince(commandStarted);
  await hec.close();
  if (run.code !== 0) throw new Error(`replay failed: ${run.stderr}`);
  const summary = JSON.parse(run.stdout) as { read: number; sent: number };
  const first = hec.firstAt();
  const last = hec.lastAt();
  const deliverySeconds = first === undefined || last === undefined ? Number.NaN : Number(last - first) / 1e9;
  const replayRate = hec.received() / deliverySeconds;

  const raw = await rawConsume(
    kafka,
    TOPIC,
    new Map(plan.partitions.map((r) => [r.partition, BigInt(r.start)])),
    new Map(plan.partitions.map((r) => [r.partition, BigInt(r.end)])),
  );
  const rawRate = raw.messages / raw.seconds;
  writeReport({
    bench: 'replay',
    startedAt,
    machine: machine(),
    parameters: { events: EVENTS, topic: TOPIC, batchMaxEvents: 2000, partitions: plan.partitions.length, rate: 'unset' },
    measurements: [
      {
        name: 'vigil replay -> fast HEC (first to last event)',
        value: replayRate,
        unit: 'events/s',
        extra: { sent: hec.received(), read: summary.read, seconds: deliverySeconds },
      },
      { name: 'vigil replay, whole command', value: summary.read / commandSeconds, unit: 'events/s', extra: { seconds: commandSeconds } },
      {
        name: 'raw kafkajs consume of the same range',
        value: rawRate,
        unit: 'msg/s',
        extra: { messages: raw.messages, seconds: raw.seconds },
      },
    ],
    ratios: { 'replay / raw kafkajs consume': replayRate / rawRate },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
