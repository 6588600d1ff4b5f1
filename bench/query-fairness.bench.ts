// Fair sharing in the query API (issue 12): tenant B's page query p50/p99 alone, then while tenant A's key
// runs more than its maximum concurrent load (exports read to the end, scanning aggregations), through the
// compiled app with its default limits (DATABASE_POOL_SIZE 10, QUERY_API_KEY_CONCURRENCY 2,
// QUERY_API_MAX_EXPORTS 2, QUERY_API_MAX_EXPORTS_PER_KEY 1). Goal: B's loaded p99 at most 2x its idle p99. The store holds BENCH_EVENTS
// (default 300,000) events of 50 tenants over 30 days; tenant A is the biggest (about a fifth of them).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { benchApiKey, startBenchQueryApi } from './lib/query-api.util';
import { seedQueryStore, tenantName } from './lib/query-seed.util';
import { machine, percentile, writeReport, type Measurement } from './lib/report.util';

const env = benchEnv();
const EVENTS = env.BENCH_EVENTS ?? 300_000;
const ROUNDS = env.BENCH_ROUNDS ?? 200;
/** Concurrent loops of tenant A: more than its 2 slots, so its own queue is never empty. */
const A_LOOPS = 8;
/**
 * The defaults, then the limits lifted as far as the config allows (one below the pool of 10): what the per-key
 * and export limits buy, measured in the same run.
 */
const SCENARIOS: readonly [string, Record<string, string>][] = [
  ['default limits', {}],
  ['limits lifted', { QUERY_API_KEY_CONCURRENCY: '9', QUERY_API_MAX_EXPORTS: '9', QUERY_API_MAX_EXPORTS_PER_KEY: '9' }],
];
const DAY = 86_400_000;

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

interface Client {
  gql(query: string, variables: Record<string, unknown>): Promise<{ errors?: { extensions?: { code?: string } }[] }>;
  exportAll(): Promise<number>;
}

function client(baseUrl: string, key: string): Client {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  return {
    async gql(query, variables) {
      const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    },
    async exportAll() {
      const res = await fetch(`${baseUrl}/v1/events/export?format=ndjson&from=${encodeURIComponent(iso(30 * DAY))}`, { headers });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw new Error(`export ${res.status}`);
      }
      let bytes = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.byteLength; // read as a client would, kept nowhere
      return bytes;
    },
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const schema = uniqueName('qfair').replace(/-/g, '_');
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const seedSeconds = await seedQueryStore({ databaseUrl: testEnv.databaseUrl, schema, events: EVENTS });
  process.stdout.write(`seeded ${EVENTS} events in ${seedSeconds.toFixed(1)} s\n`);
  const [tenantA, tenantB] = [tenantName(0), tenantName(1)];
  const keyA = await benchApiKey(pool, tenantA, 'bench-a');
  const keyB = await benchApiKey(pool, tenantB, 'bench-b');
  const page = `query ($filter: EventFilter!) { events(filter: $filter, first: 100) {
    edges { node { id time action outcome actor { id name } client { ip } targets { type id } attributes } } pageInfo { endCursor } } }`;
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  try {
    for (const [label, limits] of SCENARIOS) {
      const app = await startBenchQueryApi(url.toString(), { QUERY_API_STATEMENT_TIMEOUT_MS: '120000', ...limits });
      try {
        const b = client(app.baseUrl, keyB);
        let failures = 0;
        const pageOfB = async (): Promise<number> => {
          const t0 = process.hrtime.bigint();
          const result = await b.gql(page, { filter: { from: iso(DAY), to: iso(0) } });
          if (result.errors) failures += 1; // with the limits lifted: the pool's 5 s connection timeout
          return Number(process.hrtime.bigint() - t0) / 1e6;
        };
        const measure = async (): Promise<number[]> => {
          const times: number[] = [];
          for (let i = 0; i < ROUNDS; i++) times.push(await pageOfB());
          return times.sort((x, y) => x - y);
        };
        for (let i = 0; i < 20; i++) await pageOfB();
        failures = 0;
        const idle = await measure();
        // Tenant A's load runs in a worker thread: its HTTP reading must not delay the measuring loop's own event loop.
        const worker = new Worker(__filename, { workerData: { baseUrl: app.baseUrl, key: keyA } satisfies LoadSpec });
        await new Promise((resolve) => setTimeout(resolve, 2000)); // A's load is running and its queue is full
        const loadedStarted = Date.now();
        const loaded = await measure();
        const loadedSeconds = (Date.now() - loadedStarted) / 1000;
        const doneByA = await new Promise<LoadDone>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage('stop');
        });
        await worker.terminate();
        const idleP99 = percentile(idle, 99);
        const loadedP99 = percentile(loaded, 99);
        measurements.push(
          {
            name: `${label}: tenant B first page (100 events, last 24 h), idle`,
            value: idleP99,
            unit: 'ms p99',
            extra: { p50: percentile(idle, 50), p95: percentile(idle, 95), rounds: ROUNDS },
          },
          {
            name: `${label}: tenant B first page while tenant A runs ${A_LOOPS} loops of exports and scanning aggregations`,
            value: loadedP99,
            unit: 'ms p99',
            extra: {
              p50: percentile(loaded, 50),
              p95: percentile(loaded, 95),
              rounds: ROUNDS,
              tenantBFailed: failures,
              tenantAUnitsPerSecond: Number((doneByA.units / loadedSeconds).toFixed(2)),
              tenantARefused: doneByA.refused,
              tenantAFailed: doneByA.failed,
            },
          },
        );
        ratios[`${label}: tenant B page p99, loaded / idle (goal <= 2)`] = Number((loadedP99 / idleP99).toFixed(2));
        ratios[`${label}: tenant B page p50, loaded / idle`] = Number((percentile(loaded, 50) / percentile(idle, 50)).toFixed(2));
      } finally {
        await app.stop();
      }
    }
    writeReport({
      bench: 'query-fairness',
      startedAt,
      machine: machine(),
      parameters: { events: EVENTS, tenants: 50, days: 30, rounds: ROUNDS, tenantALoops: A_LOOPS, seedSeconds },
      measurements,
      ratios,
    });
  } finally {
    if (!env.BENCH_KEEP) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

interface LoadSpec {
  baseUrl: string;
  key: string;
}

interface LoadDone {
  units: number;
  refused: number;
  failed: number;
}

/** Tenant A's load, in the worker: A_LOOPS loops of exports read to the end and scanning aggregations until told to stop. */
async function runLoad(spec: LoadSpec): Promise<void> {
  const a = client(spec.baseUrl, spec.key);
  const heavy: (() => Promise<unknown>)[] = [
    () => a.exportAll(),
    () =>
      a.gql(
        `query ($filter: EventFilter!) { eventCounts(filter: $filter, bucket: HOUR, groupBy: ACTION) { counts { bucket key count } } }`,
        {
          filter: { from: iso(30 * DAY), text: 'example' },
        },
      ),
    () =>
      a.gql(`query ($filter: EventFilter!) { topN(filter: $filter, by: ACTOR, limit: 10) { key count } }`, {
        filter: { from: iso(30 * DAY), text: 'user' },
      }),
  ];
  let running = true;
  const done: LoadDone = { units: 0, refused: 0, failed: 0 };
  parentPort?.once('message', () => (running = false));
  const loops = Array.from({ length: A_LOOPS }, async (_, i) => {
    while (running) {
      try {
        const result = (await heavy[i % heavy.length]?.()) as { errors?: { extensions?: { code?: string } }[] } | number | undefined;
        const code = typeof result === 'object' ? result.errors?.[0]?.extensions?.code : undefined;
        if (code === 'TOO_MANY_CONCURRENT') done.refused += 1;
        else if (code !== undefined) done.failed += 1;
        else done.units += 1;
      } catch {
        done.refused += 1; // an export refused with EXPORTS_BUSY: A's other export loops hold both export slots
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });
  await Promise.all(loops);
  parentPort?.postMessage(done);
}

if (!isMainThread) {
  runLoad(workerData as LoadSpec).catch((err: unknown) => {
    throw err;
  });
} else
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
