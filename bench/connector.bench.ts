// Connector catch-up throughput (issues 10 and 18), with a raw kafkajs consume of the same offset range as the same-run
// baseline, for each connector type of BENCH_CONNECTORS (default all five: splunk, datadog, sentinel, elasticsearch and
// http), one after another:
//  1. The compiled connector app runs as a real process (startFrom: latest, a fresh connector name, the type's default
//     settings: Datadog and Sentinel gzip) against a minimal fast double of its SIEM's API in this process; a warm-up
//     event proves it joined, resolved its offsets and delivers.
//  2. `vigil connectors pause` (the compiled CLI, as an operator runs it), then BENCH_EVENTS (default 200,000)
//     pre-encoded events are produced to audit.authentication; the topic's ends before and after bound the range.
//  3. `vigil connectors resume`: timed from the resume command to the last event at the double, and first to last;
//     the CPU the connector's process and this one (the double) used over that span, per event.
//  4. A fresh kafkajs consumer reads the same offset range without decoding or sending.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DEFAULT_GZIP_LEVEL } from '@vigil/connector';
import { EventCodec } from '@vigil/events';
import { createKafka, createRawProducer, RegistryHttpClient } from '@vigil/kafka';
import { AppProcess, benchEnv, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { benchEvent } from './lib/bench-event.factory';
import { runCli } from './lib/cli-run.util';
import { startFastHec, type FastHec, type FastSiemKind } from './lib/fast-hec.util';
import { rawConsume } from './lib/raw-consume.util';
import { cpuSecondsOfPid, machine, writeReport, type Measurement } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 200_000;
const CONNECTORS = benchEnv().BENCH_CONNECTORS;
const GZIP_LEVEL = benchEnv().BENCH_CONNECTOR_GZIP_LEVEL ?? DEFAULT_GZIP_LEVEL;
/**
 * Appended to the Datadog and Sentinel blocks: `gzip` as BENCH_CONNECTOR_GZIP says (both sinks gzip by default), at
 * BENCH_CONNECTOR_GZIP_LEVEL (the sinks' default level unless set).
 */
const GZIP = `, gzip: ${String(benchEnv().BENCH_CONNECTOR_GZIP)}, gzipLevel: ${GZIP_LEVEL}`;
/** A SIEM across a network: the HEC answers after this many ms (BENCH_HEC_LATENCY_MS, default 0). */
const HEC_LATENCY_MS = benchEnv().BENCH_HEC_LATENCY_MS;
const TOPIC = 'audit.authentication';
const BATCH = { maxEvents: 2000, maxBytes: 5_000_000, lingerMs: 50 };
const logger = pino({ level: 'warn' });

type Kafka = ReturnType<typeof createKafka>;
type ConnectorType = (typeof CONNECTORS)[number];

const TENANT_GUID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Each type's double, the app that runs it, its settings block (against the double) and how its events are told apart. */
const TYPES: Record<
  ConnectorType,
  { kind: FastSiemKind; siem: string; block: (url: string) => string; marker: (tenant: string) => string }
> = {
  splunk: {
    kind: 'hec',
    siem: 'HEC',
    block: (url) => `splunk: { url: '${url}', allowInsecureHttp: true, tokenEnv: BENCH_SIEM_SECRET }`,
    marker: (tenant) => `"tenant_id":"${tenant}-`,
  },
  datadog: {
    kind: 'datadog',
    siem: 'Datadog double',
    block: (url) => `datadog: { url: '${url}/api/v2/logs', allowInsecureHttp: true, apiKeyEnv: BENCH_SIEM_SECRET${GZIP} }`,
    marker: (tenant) => `"ddtags":"tenant:${tenant}-`,
  },
  sentinel: {
    kind: 'sentinel',
    siem: 'Sentinel double',
    block: (url) =>
      `sentinel: { endpoint: '${url}', authorityHost: '${url}', dcrImmutableId: dcr-${'0'.repeat(32)}, tenantId: ${TENANT_GUID}, ` +
      `clientId: ${TENANT_GUID}, clientSecretEnv: BENCH_SIEM_SECRET, allowInsecureHttp: true${GZIP} }`,
    marker: (tenant) => `"VigilTenantId":"${tenant}-`,
  },
  // At their own defaults (no gzip); the bench's tenants are lowercase, so their index names hold them as they are.
  elasticsearch: {
    kind: 'elasticsearch',
    siem: 'Elasticsearch double',
    block: (url) => `elasticsearch: { url: '${url}', allowInsecureHttp: true, apiKeyEnv: BENCH_SIEM_SECRET }`,
    marker: (tenant) => `"_index":"vigil-audit-${tenant}-`,
  },
  http: {
    kind: 'webhook',
    siem: 'webhook double',
    block: (url) => `http: { url: '${url}/events', allowInsecureHttp: true, framing: ndjson }`,
    marker: (tenant) => `"tenantId":"${tenant}-`,
  },
};
/** End offset (next offset to be written) per partition. */
type Ends = Map<number, bigint>;

enum BenchFailureCode {
  COMMAND_FAILED = 'COMMAND_FAILED',
  NOT_CONFIRMED = 'NOT_CONFIRMED',
  WRONG_COUNT = 'WRONG_COUNT',
}

/** Thrown when the run would not measure what it claims: a failed or unconfirmed command, a short or duplicated delivery. */
class BenchFailure extends Error {
  constructor(
    readonly code: BenchFailureCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** `vigil connectors pause|resume <name> --json`, failing unless the running app confirmed it. */
async function control(action: 'pause' | 'resume', name: string, env: Record<string, string>): Promise<{ requestedAt: string }> {
  const run = await runCli(['connectors', action, name, '--json'], env);
  if (run.code !== 0)
    throw new BenchFailure(BenchFailureCode.COMMAND_FAILED, `vigil connectors ${action} failed (${String(run.code)}): ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { confirmed: boolean; requestedAt: string };
  if (!result.confirmed)
    throw new BenchFailure(BenchFailureCode.NOT_CONFIRMED, `vigil connectors ${action}: the running app did not confirm it`);
  return result;
}

async function topicEnds(kafka: Kafka): Promise<Ends> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Events are encoded before the clock of any measurement starts, and sent in batches of 5,000 with acks=-1. */
async function produce(kafka: Kafka, tenant: string, count: number): Promise<void> {
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }));
  const schemaId = await codec.schemaId('authentication');
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const nowMicros = Date.now() * 1000;
    for (let i = 0; i < count; i += 5000) {
      const chunk = Array.from({ length: Math.min(5000, count - i) }, (_, j) => benchEvent(i + j, tenant, nowMicros + i + j, nowMicros));
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: TOPIC, messages: chunk.map((e) => ({ key: e.tenantId, value: codec.encodeWithId(schemaId, e) })) }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Publishes one event at a time until an event reaches the HEC: the app has joined its group, resolved its offsets
 * (so the pause below holds a position, not "latest") and delivers. Warm-up events are of another tenant than the
 * marker, so they never count.
 */
async function warmUp(kafka: Kafka, hec: FastHec, app: AppProcess): Promise<void> {
  const tenant = uniqueName('bench-connector-warmup');
  await waitFor(
    async () => {
      await produce(kafka, tenant, 1);
      return hec.received();
    },
    (arrived) => arrived > 0,
    `the connector to deliver a warm-up event (app output: ${app.output.join('').slice(-500)})`,
    60_000,
  );
}

/** One connector type's run: its measurements and its ratio to raw consume. */
async function benchType(kafka: Kafka, type: ConnectorType): Promise<{ measurements: Measurement[]; ratio: number; partitions: number }> {
  const { kind, siem, block, marker } = TYPES[type];
  const tenant = uniqueName('bench-connector');
  // Each bench event carries `<tenant>-<i % 50>`: this prefix counts exactly this run's events.
  const hec = await startFastHec({ kind, marker: marker(tenant), latencyMs: HEC_LATENCY_MS });
  const name = uniqueName('bench-connector');
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-bench-connector-')), 'vigil.config.yaml');
  writeFileSync(
    config,
    `connectors:\n  - name: ${name}\n    type: ${type}\n    tenants: all\n    categories: [authentication]\n    startFrom: latest\n` +
      `    batch: { maxEvents: ${BATCH.maxEvents}, maxBytes: ${BATCH.maxBytes}, lingerMs: ${BATCH.lingerMs} }\n` +
      `    ${block(hec.url)}\n`,
  );
  const env = {
    VIGIL_CONFIG: config,
    BENCH_SIEM_SECRET: 'bench',
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
  };
  const app = new AppProcess(`connector-${type}`, env);
  try {
    await app.start();
    await warmUp(kafka, hec, app);
    await control('pause', name, env);
    hec.reset();
    const starts = await topicEnds(kafka);
    await produce(kafka, tenant, EVENTS);
    const ends = await topicEnds(kafka);

    // CPU seconds of the connector's process (every thread) and of this one (the double and its inflate thread),
    // from before the resume to the last event: far steadier than a rate on a shared machine, for comparing builds.
    const pid = app.pid;
    const connectorCpuBefore = pid === undefined ? undefined : cpuSecondsOfPid(pid);
    const doubleCpuBefore = process.cpuUsage();
    const resumeStarted = process.hrtime.bigint();
    const { requestedAt } = await control('resume', name, env);
    await waitFor(
      () => hec.marked(),
      (n) => n >= EVENTS,
      `${EVENTS} events at the ${siem}`,
      Math.max(120_000, EVENTS * 2),
    );
    const connectorCpuAfter = pid === undefined ? undefined : cpuSecondsOfPid(pid);
    const doubleCpu = process.cpuUsage(doubleCpuBefore);
    // A duplicate would arrive right behind the last event (a re-sent batch): give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (hec.marked() !== EVENTS)
      throw new BenchFailure(BenchFailureCode.WRONG_COUNT, `the ${siem} received ${hec.marked()} bench events, expected ${EVENTS}`);
    const first = hec.firstAt();
    const last = hec.lastAt();
    const lastEpochMs = hec.lastAtEpochMs();
    if (first === undefined || last === undefined || lastEpochMs === undefined)
      throw new BenchFailure(BenchFailureCode.WRONG_COUNT, 'no arrival recorded');
    const deliverySeconds = Number(last - first) / 1e9;
    const fromResumeSeconds = Number(last - resumeStarted) / 1e9;
    const fromCommandSeconds = (lastEpochMs - Date.parse(requestedAt)) / 1000;
    const connectorRate = EVENTS / deliverySeconds;

    const raw = await rawConsume(kafka, TOPIC, starts, ends);
    const rawRate = raw.messages / raw.seconds;
    return {
      partitions: ends.size,
      ratio: connectorRate / rawRate,
      measurements: [
        {
          name: `connector-${type} catch-up -> fast ${siem} (first to last)`,
          value: connectorRate,
          unit: 'events/s',
          // `received` may hold a few events other runs published to the shared topic meanwhile.
          extra: { benchEvents: hec.marked(), received: hec.received(), seconds: deliverySeconds },
        },
        {
          name: `connector-${type}, resume command start to last event`,
          value: EVENTS / fromResumeSeconds,
          unit: 'events/s',
          extra: { seconds: fromResumeSeconds },
        },
        {
          name: `connector-${type}, control message sent to last event`,
          value: EVENTS / fromCommandSeconds,
          unit: 'events/s',
          extra: { seconds: fromCommandSeconds },
        },
        {
          name: `connector-${type} process CPU per event, resume to last event`,
          value:
            connectorCpuBefore === undefined || connectorCpuAfter === undefined
              ? Number.NaN
              : ((connectorCpuAfter - connectorCpuBefore) * 1e6) / EVENTS,
          unit: 'µs',
        },
        {
          name: `fast ${siem} CPU per event (this process, the same span)`,
          value: (doubleCpu.user + doubleCpu.system) / EVENTS,
          unit: 'µs',
        },
        {
          name: `raw kafkajs consume of the same range (${type} run)`,
          value: rawRate,
          unit: 'msg/s',
          extra: { messages: raw.messages, seconds: raw.seconds },
        },
      ],
    };
  } finally {
    await app.stop();
    await hec.close();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  let partitions = 0;
  for (const type of CONNECTORS) {
    const run = await benchType(kafka, type);
    measurements.push(...run.measurements);
    ratios[`connector-${type} catch-up / raw kafkajs consume`] = run.ratio;
    partitions = run.partitions;
  }
  writeReport({
    bench: 'connector',
    startedAt,
    machine: machine(),
    parameters: {
      events: EVENTS,
      connectors: CONNECTORS.join(','),
      gzip: String(benchEnv().BENCH_CONNECTOR_GZIP),
      gzipLevel: GZIP_LEVEL,
      topic: TOPIC,
      batchMaxEvents: BATCH.maxEvents,
      batchMaxBytes: BATCH.maxBytes,
      lingerMs: BATCH.lingerMs,
      maxInFlight: 'default (2)',
      hecLatencyMs: HEC_LATENCY_MS,
      partitions,
      startFrom: 'latest, paused while producing',
    },
    measurements,
    ratios,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
