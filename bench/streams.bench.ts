// Per-tenant streams at scale (issue 13): 1,000 enabled webhook streams over 200 tenants (5 each) on one streams app,
// each to its own path of a local SIEM double that accepts and counts.
//  1. Throughput: BENCH_EVENTS (default 40,000) pre-encoded events of the 200 tenants are produced to
//     audit.authentication; timed from the first produce to the last delivery, as deliveries (event × stream) per
//     second. Baseline of the same run: a raw kafkajs consume of the same offset range.
//  2. Isolation: 100 streams (one of each of 100 tenants) answer 503 for BENCH_OUTAGE_SECONDS (default 300) while
//     events are produced at BENCH_RATE events/s (default 1,000, so 5,000 deliveries/s): the publish-to-delivery
//     latency of the healthy streams' deliveries (p50, p99), and the failing streams' state.
//  3. Recovery: the 100 answer again; the time until they hold every event of their tenants, then a check that no
//     stream misses any event of its tenant (0 lost).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import pg from 'pg';
import { EventCodec, type AuditEvent } from '@vigil/events';
import { createKafka, createRawProducer, KafkaAdminService, RegistryHttpClient } from '@vigil/kafka';
import { runMigrations } from '@vigil/store';
import { StreamRepository, StreamSecretCipher } from '@vigil/streams';
import { AppProcess, benchEnv, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { v7 as uuidv7 } from 'uuid';
import { benchEvent } from './lib/bench-event.factory';
import { rawConsume } from './lib/raw-consume.util';
import { machine, percentile, round, writeReport, type Measurement } from './lib/report.util';

const env = benchEnv();
const TENANTS = 200;
const STREAMS_PER_TENANT = 5;
const FAILING = 100;
const EVENTS = env.BENCH_EVENTS ?? 40_000;
const RATE = env.BENCH_RATE ?? 1000;
const OUTAGE_SECONDS = env.BENCH_OUTAGE_SECONDS;
const TOPIC = 'audit.authentication';
const KEYS = `bench:${randomBytes(32).toString('base64')}`;
const logger = pino({ level: 'warn' });

interface StreamState {
  id: string;
  tenant: string;
  failing: boolean;
  /** Bench indexes of the events it received (from correlationId `b-<i>`). */
  got: Set<number>;
}

/** One HTTP server standing for 1,000 SIEMs: `/s/<stream id>` accepts a webhook JSON array, or 503 while failing. */
class SiemDouble {
  private server!: Server;
  readonly streams = new Map<string, StreamState>();
  deliveries = 0;
  lastDeliveryAt = 0n;
  /** Publish-to-delivery latencies (ms) of healthy streams while recording. */
  latencies: number[] = [];
  recording = false;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const stream = this.streams.get((req.url ?? '').slice(3));
    if (stream === undefined) return 404;
    if (stream.failing) return 503;
    const now = Date.now();
    const docs = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { correlationId: string; tenantId: string; time: string }[];
    for (const doc of docs) {
      if (doc.tenantId !== stream.tenant) throw new Error(`stream ${stream.id} of ${stream.tenant} got an event of ${doc.tenantId}`);
      stream.got.add(Number(doc.correlationId.slice(2)));
      if (this.recording) this.latencies.push(now - Date.parse(doc.time));
    }
    this.deliveries += docs.length;
    this.lastDeliveryAt = process.hrtime.bigint();
    return 200;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'bench-streams' }, logger);
  const admin = new KafkaAdminService(kafka, { brokers: testEnv.kafkaBrokers, clientId: 'bench-streams' });
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
  const producer = createRawProducer(kafka);
  await producer.connect();
  const schema = uniqueName('bench_streams').replace(/-/g, '_');
  await runMigrations(testEnv.databaseUrl, { schema });
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const double = new SiemDouble();
  const base = await double.start();
  const run = uniqueName('bs');
  const tenants = Array.from({ length: TENANTS }, (_, i) => `${run}-${i}`);
  // 1,000 streams straight into the table (sealed as the API seals): their creation is not what is measured.
  const repository = new StreamRepository(pool);
  const cipher = new StreamSecretCipher(KEYS);
  for (const [t, tenant] of tenants.entries())
    for (let s = 0; s < STREAMS_PER_TENANT; s++) {
      const id = uuidv7();
      double.streams.set(id, { id, tenant, failing: false, got: new Set() });
      await repository.insert(
        {
          id,
          tenantId: tenant,
          name: `siem-${s}`,
          type: 'http',
          enabled: true,
          config: { categories: ['authentication'], settings: { url: `${base}/s/${id}` } },
          secrets: cipher.seal(id, { 'headers.Authorization': `Bearer ${t}-${s}` }),
          createdBy: 'bench',
        },
        pool,
      );
    }
  const app = new AppProcess('streams', {
    DATABASE_URL: url.toString(),
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    VIGIL_STREAM_SECRET_KEYS: KEYS,
    VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS: 'true',
    VIGIL_STREAMS_ALLOW_INSECURE_HTTP: 'true',
    VIGIL_STREAMS_GROUP: uniqueName('bench-streams'),
    VIGIL_STREAMS_PROBE_MAX_MS: '10000',
    LOG_LEVEL: 'warn',
  });
  await app.start(120_000);
  let index = 0;
  const published: AuditEvent[] = [];
  async function produce(count: number): Promise<void> {
    const now = Date.now() * 1000;
    const events = Array.from({ length: count }, () => {
      const i = index++;
      const event = { ...benchEvent(i, run, now), tenantId: tenants[i % TENANTS] ?? run, correlationId: `b-${i}` };
      published.push(event);
      return event;
    });
    for (let at = 0; at < events.length; at += 2000) {
      const slice = events.slice(at, at + 2000);
      const messages = await Promise.all(slice.map(async (e) => ({ key: e.tenantId, value: await codec.encode(e) })));
      await producer.send({ topic: TOPIC, messages, acks: -1 });
    }
  }
  const expected = (): number => published.length * STREAMS_PER_TENANT;
  // Warm-up: every stream active and receiving.
  await produce(TENANTS);
  await waitFor(
    () => double.deliveries,
    (n) => n >= expected(),
    'the warm-up deliveries',
    120_000,
  );
  const measurements: Measurement[] = [];

  // 1. Throughput.
  const ends = async (): Promise<Map<number, bigint>> =>
    new Map((await admin.watermarks(TOPIC)).map((w) => [w.partition, BigInt(w.high)] as const));
  const before = await ends();
  const deliveredBefore = double.deliveries;
  const start = process.hrtime.bigint();
  await produce(EVENTS);
  const after = await ends();
  await waitFor(
    () => double.deliveries,
    (n) => n >= expected(),
    'the throughput phase deliveries',
    600_000,
  );
  const seconds = Number(double.lastDeliveryAt - start) / 1e9;
  const deliveries = double.deliveries - deliveredBefore;
  const raw = await rawConsume(kafka, TOPIC, before, after);
  measurements.push(
    {
      name: 'streams app: deliveries (event x stream) per second',
      value: deliveries / seconds,
      unit: 'deliveries/s',
      extra: { deliveries, seconds, events: EVENTS },
    },
    { name: 'raw kafkajs consume of the same range', value: raw.messages / raw.seconds, unit: 'msg/s', extra: { messages: raw.messages } },
  );

  // 2. Isolation: 100 streams fail for OUTAGE_SECONDS while events arrive at RATE.
  const failing = [...double.streams.values()].filter((_, i) => i % STREAMS_PER_TENANT === 0).slice(0, FAILING);
  for (const s of failing) s.failing = true;
  double.latencies = [];
  double.recording = true;
  const outageStart = Date.now();
  while (Date.now() - outageStart < OUTAGE_SECONDS * 1000) {
    const tick = Date.now();
    await produce(Math.max(1, Math.round(RATE / 10)));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tick))));
  }
  double.recording = false;
  const sorted = [...double.latencies].sort((a, b) => a - b);
  const states = (
    await pool.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM vigil_stream_health WHERE stream_id = ANY($1::uuid[]) GROUP BY state`,
      [failing.map((s) => s.id)],
    )
  ).rows;
  measurements.push({
    name: `healthy streams' publish-to-delivery latency, ${FAILING} failing`,
    value: percentile(sorted, 99, 0),
    unit: 'ms p99',
    extra: {
      p50: percentile(sorted, 50, 0),
      p90: percentile(sorted, 90, 0),
      max: sorted[sorted.length - 1] ?? 0,
      deliveries: sorted.length,
      outageSeconds: OUTAGE_SECONDS,
      failingStates: states.map((r) => `${r.state}=${r.n}`).join(' '),
    },
  });

  // 3. Recovery, then nothing lost anywhere.
  const recoverStart = process.hrtime.bigint();
  for (const s of failing) s.failing = false;
  const owed = (s: StreamState): number =>
    published.filter((e) => e.tenantId === s.tenant && !s.got.has(Number(e.correlationId?.slice(2)))).length;
  await waitFor(
    () => failing.reduce((n, s) => n + owed(s), 0),
    (n) => n === 0,
    'the failing streams to catch up',
    900_000,
  );
  const recoverSeconds = Number(process.hrtime.bigint() - recoverStart) / 1e9;
  const lost = [...double.streams.values()].reduce((n, s) => n + owed(s), 0);
  measurements.push({
    name: `time for the ${FAILING} failing streams to catch up`,
    value: recoverSeconds,
    unit: 's',
    extra: { lost, owedAtRecovery: 'all events of their tenants published during the outage' },
  });
  await app.stop();
  await producer.disconnect();
  await admin.close();
  await double.close();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
  writeReport({
    bench: 'streams',
    startedAt,
    machine: machine(),
    parameters: {
      tenants: TENANTS,
      streams: TENANTS * STREAMS_PER_TENANT,
      failing: FAILING,
      events: EVENTS,
      rate: RATE,
      outageSeconds: OUTAGE_SECONDS,
    },
    measurements,
    // The app reads each record once for every stream: its events/s (records read, decoded and fanned out) against a
    // raw consume of the same records, which neither decodes nor sends.
    ratios: { 'events/s (x5 deliveries) vs raw consume msg/s': round(EVENTS / seconds / (raw.messages / raw.seconds)) },
  });
  if (lost > 0) throw new Error(`${lost} deliveries lost`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
