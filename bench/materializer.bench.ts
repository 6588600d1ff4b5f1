// Materializer throughput and latency (issues 4 and 18), with a raw PostgreSQL COPY of the same rows as the
// same-run baseline. Goals (issue 18): at least 40,000 events/s end to end, and publish -> visible p99 at most 250 ms
// at a sustained 10,000 events/s.
//  1. BENCH_EVENTS (default 1,000,000) events are produced to audit.authentication (pre-encoded
//     Avro, so producing is not what is measured), then the materializer app is started on them and
//     timed from its first stored row to the last: events/s end to end (decode, map, COPY + INSERT
//     ... ON CONFLICT, commit, offsets).
//     Beside the rate, the CPU per event of the materializer's process and of all PostgreSQL's over the same stretch
//     (/metrics and /proc): the two share the machine's cores, so their sum sets the rate, and it varies far less.
//  2. The same rows are COPYed straight into an empty audit_event: the ceiling PostgreSQL allows here.
//  3. Latency: a steady BENCH_RATE (default 10,000) events/s through the SDK for BENCH_LATENCY_SECONDS
//     (default 20), after 3 s at the same rate untimed; each event is timed from publish() resolving to its row
//     being visible (its tenant's chain head, moved in the storing transaction, reaching its place).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { allTopics, EventCodec } from '@vigil/events';
import { createRawKafka, createRawProducer, RegistryHttpClient } from '@vigil/kafka';
import { AUDIT_EVENT_INSERT_COLUMNS, copyLine, runMigrations, toRow } from '@vigil/store';
import { AppProcess, benchEnv, startGroupAtEnd, testEnv, uniqueName } from '@vigil/testing';
import { benchEvent } from './lib/bench-event.factory';
import { cpuSecondsOf, machine, percentile, round, secondsSince, writeReport } from './lib/report.util';

const env = benchEnv();
const EVENTS = env.BENCH_EVENTS ?? 1_000_000;
const RATE = env.BENCH_RATE ?? 10_000;
const LATENCY_SECONDS = env.BENCH_LATENCY_SECONDS;
const logger = pino({ level: 'warn' });
/** Seconds of publishing at the latency run's rate before its timed events. */
const WARMUP_SECONDS = 3;

/** Events the app has stored (or found stored), and the CPU seconds its process has used, from its /metrics. */
async function storedCount(app: AppProcess): Promise<{ stored: number; cpu: number }> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^vigil_materializer_events_total\{result="(stored|duplicate)",topic="audit\.authentication"\} (\d+)/gm))
    total += Number(m[2]);
  return { stored: total, cpu: Number(/^vigil_process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? Number.NaN) };
}

/** A point of the catch-up: events stored, the materializer's CPU seconds and all of PostgreSQL's. */
interface CatchUpPoint {
  stored: number;
  cpu: number;
  postgres: number;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const db = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 4 });
  const schema = uniqueName('bench_mat').replace(/-/g, '_');
  const rawSchema = `${schema}_raw`;
  await runMigrations(testEnv.databaseUrl, { schema });
  await runMigrations(testEnv.databaseUrl, { schema: rawSchema });
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const groupId = uniqueName('bench-materializer');
  await startGroupAtEnd(kafka, admin, groupId, allTopics());
  const tenant = uniqueName('bench');

  // 1. Produce pre-encoded events.
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }));
  const schemaId = await codec.schemaId('authentication');
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const nowMicros = Date.now() * 1000;
  const rows: string[] = [];
  for (let i = 0; i < EVENTS; i += 5000) {
    const chunk = Array.from({ length: Math.min(5000, EVENTS - i) }, (_, j) =>
      benchEvent(i + j, tenant, nowMicros - (EVENTS - (i + j)) * 10, nowMicros),
    );
    for (const e of chunk) rows.push(copyLine(toRow(e, { topic: 'audit.authentication', partition: 0, offset: String(rows.length) })));
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: 'audit.authentication', messages: chunk.map((e) => ({ key: e.tenantId, value: codec.encodeWithId(schemaId, e) })) },
      ],
    });
  }
  await producer.disconnect();

  // 2. The materializer on them.
  const app = await new AppProcess('materializer', { DATABASE_URL: url.toString(), MATERIALIZER_GROUP_ID: groupId }).start(120_000);
  let firstAt: bigint | undefined;
  // The CPU both sides of the store spend per event over the same stretch: on two saturated cores the rate is set by
  // their sum, and these figures vary far less from run to run than the rate does.
  let first: CatchUpPoint | undefined;
  let last: CatchUpPoint | undefined;
  for (;;) {
    const { stored: n, cpu } = await storedCount(app);
    const point = { stored: n, cpu, postgres: cpuSecondsOf('postgres') ?? Number.NaN };
    if (n > 0) {
      firstAt ??= process.hrtime.bigint();
      first ??= point;
      last = point;
    }
    if (n >= EVENTS) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const counted = first !== undefined && last !== undefined ? last.stored - first.stored : 0;
  const microsPerEvent = (seconds: number): number => (counted > 0 ? round((seconds * 1e6) / counted) : Number.NaN);
  const materializerCpu = microsPerEvent((last?.cpu ?? Number.NaN) - (first?.cpu ?? Number.NaN));
  const postgresCpu = microsPerEvent((last?.postgres ?? Number.NaN) - (first?.postgres ?? Number.NaN));
  // Everything stored by the first poll that saw a row: too few events to time (a latency-only run).
  const timed = firstAt !== undefined && secondsSince(firstAt) > 0.5;
  const materializerSeconds = timed && firstAt !== undefined ? secondsSince(firstAt) : Number.NaN;
  if (!timed) process.stderr.write(`materializer: ${EVENTS} events were stored within one poll; throughput not measured\n`);

  // 3. Raw COPY of the same rows into an empty audit_event.
  const client = await db.connect();
  await client.query(`SET search_path = ${rawSchema}`);
  const copyStart = process.hrtime.bigint();
  await pipeline(Readable.from(rows), client.query(copyFrom(`COPY audit_event (${AUDIT_EVENT_INSERT_COLUMNS.join(', ')}) FROM STDIN`)));
  const copySeconds = secondsSince(copyStart);
  client.release();

  // 4. Latency at a steady rate, publish() resolved -> row visible.
  const latencyTenant = uniqueName('bench-latency');
  const publisher = new AuditPublisher({
    kafka: { client: kafka },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench' },
    logger,
  });
  await publisher.publish({ action: 'user.login.failed', tenantId: `${latencyTenant}-warmup`, actor: { id: 'w' } });
  // Events of 50 tenants, as a service publishes them (one tenant would put every event on one partition).
  const latencyTenants = Array.from({ length: 50 }, (_, i) => `${latencyTenant}-${i}`);
  // Each tenant's k-th event (in call order; the SDK sends a tenant's events in that order) takes place k in the
  // tenant's hash chain, and the chain's head moves in the transaction that stores the rows. So a poll of the 50 heads
  // tells which events are visible, for a fraction of what reading the rows cost: reading every row since the oldest
  // unseen one took a quarter of a core of PostgreSQL at 5,000 events/s, on the same two cores as what is measured.
  // The stored rows are checked against this order after the run.
  const lanes = latencyTenants.map(() => ({ ackedAt: [] as number[], visibleAt: [] as number[], ids: [] as string[], seen: 0 }));
  const laneOf = new Map(latencyTenants.map((tenant, i) => [tenant, lanes[i] as (typeof lanes)[number]]));
  let ackedCount = 0;
  let visibleCount = 0;
  let polling = true;
  let lastAck = performance.now();
  const poller = (async () => {
    while (polling || visibleCount < ackedCount) {
      const res = await db.query<{ tenant_id: string; seq: string }>(
        `SELECT tenant_id, seq FROM ${schema}.audit_chain_head WHERE tenant_id = ANY($1::text[]) AND category = 'authentication'`,
        [latencyTenants],
      );
      const now = performance.now();
      for (const { tenant_id: tenant, seq } of res.rows) {
        const lane = laneOf.get(tenant);
        if (lane === undefined) continue;
        for (; lane.seen < Number(seq); lane.seen++) {
          lane.visibleAt[lane.seen] = now;
          visibleCount++;
        }
      }
      await new Promise((r) => setTimeout(r, 10));
      if (!polling && performance.now() - lastAck > 30_000) break;
    }
  })();
  // The same rate for WARMUP_SECONDS first, to other tenants, untimed: the first seconds of a run measured the
  // publishing process's and the materializer's warm-up (a p50 of 340-570 ms for 3 s, then 80-150 ms at 5,000/s),
  // not the sustained rate the goal is about. The timed events follow without a pause.
  const warmupBegin = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < RATE * WARMUP_SECONDS; i++) {
    const wait = warmupBegin + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(publisher.publish({ action: 'user.login.failed', tenantId: `${latencyTenant}-w${i % 50}`, actor: { id: `w-${i}` } }));
  }
  const total = RATE * LATENCY_SECONDS;
  const begin = warmupBegin + WARMUP_SECONDS * 1000;
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const lane = lanes[i % lanes.length] as (typeof lanes)[number];
    const place = Math.floor(i / lanes.length);
    sends.push(
      publisher
        .publish({ action: 'user.login.failed', tenantId: latencyTenants[i % lanes.length] ?? latencyTenant, actor: { id: `l-${i}` } })
        .then((e) => {
          lastAck = performance.now();
          lane.ackedAt[place] = lastAck;
          lane.ids[place] = e.id;
          ackedCount++;
        }),
    );
  }
  await Promise.all(sends);
  polling = false;
  await poller;
  await publisher.close();
  const latencies = lanes
    .flatMap((lane) => lane.ackedAt.map((at, place) => (lane.visibleAt[place] ?? Number.NaN) - at))
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b);
  // The chain places the poll relied on: each tenant's rows, by place, are its events in call order.
  const { rows: stored } = await db.query<{ tenant_id: string; chain_seq: string; id: string }>(
    `SELECT tenant_id, chain_seq, id FROM ${schema}.audit_event WHERE tenant_id = ANY($1::text[])`,
    [latencyTenants],
  );
  const misplaced = stored.filter((r) => laneOf.get(r.tenant_id)?.ids[Number(r.chain_seq) - 1] !== r.id).length;
  if (misplaced > 0 || stored.length !== ackedCount) {
    throw new Error(`latency run: ${stored.length} rows for ${ackedCount} events, ${misplaced} not at their call's chain place`);
  }

  await app.stop();
  await db.query(`DROP SCHEMA ${schema} CASCADE`);
  await db.query(`DROP SCHEMA ${rawSchema} CASCADE`);
  await db.end();
  await admin.disconnect();

  const matRate = EVENTS / materializerSeconds;
  const copyRate = EVENTS / copySeconds;
  writeReport({
    bench: 'materializer',
    startedAt,
    machine: machine(),
    parameters: { events: EVENTS, latencyRate: RATE, latencySeconds: LATENCY_SECONDS, latencyWarmupSeconds: WARMUP_SECONDS, partitions: 6 },
    measurements: [
      {
        name: 'materializer end to end (Kafka -> PostgreSQL)',
        value: matRate,
        unit: 'events/s',
        extra: { seconds: materializerSeconds, materializerCpuMicrosPerEvent: materializerCpu, postgresCpuMicrosPerEvent: postgresCpu },
      },
      {
        name: 'raw COPY of the same rows',
        value: copyRate,
        unit: 'rows/s',
        extra: { seconds: copySeconds },
      },
      {
        name: `latency publish -> visible at ${RATE}/s`,
        value: percentile(latencies, 50),
        unit: 'ms p50',
        extra: {
          p99: round(percentile(latencies, 99)),
          max: round(latencies[latencies.length - 1] ?? Number.NaN),
          seen: latencies.length,
          published: ackedCount,
        },
      },
    ],
    ratios: { 'materializer / raw COPY': matRate / copyRate },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
