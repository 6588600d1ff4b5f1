// Query API latency (issues 5 and 18): p50/p95/p99 of typical analyst queries through GraphQL over HTTP, free text
// included, over a
// store seeded with BENCH_EVENTS (default 1,000,000; the figure is 10,000,000) events of 50 tenants
// over 30 days. BENCH_SCHEMA reuses an already seeded schema of the test database (kept afterwards).
import pg from 'pg';
import { AuditEventQueryRepository, AuditEventRepository, TenantScope } from '@vigil/store';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { benchApiKey, startBenchQueryApi } from './lib/query-api.util';
import { seedQueryStore, tenantName } from './lib/query-seed.util';
import { machine, percentile, writeReport, type Measurement } from './lib/report.util';

const env = benchEnv();
const EVENTS = env.BENCH_EVENTS ?? 1_000_000;
const ROUNDS = env.BENCH_ROUNDS ?? 50;

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const DAY = 86_400_000;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const reuse = env.BENCH_SCHEMA;
  const schema = reuse ?? uniqueName('qbench').replace(/-/g, '_');
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  let seedSeconds = 0;
  // A reused schema holds what its seed put there, not BENCH_EVENTS: the report says what was measured.
  let events = EVENTS;
  if (reuse) events = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_event')).rows[0]?.n ?? 0);
  else {
    seedSeconds = await seedQueryStore({ databaseUrl: testEnv.databaseUrl, schema, events: EVENTS });
    process.stdout.write(`seeded ${EVENTS} events in ${seedSeconds.toFixed(1)} s\n`);
  }
  const tenant = tenantName(0);
  const key = await benchApiKey(pool, tenant, 'bench');
  const app = await startBenchQueryApi(url.toString());
  const gql = async (query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data ?? {};
  };
  const page = `query ($filter: EventFilter!, $first: Int, $after: String) { events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id time action outcome actor { id name } client { ip } targets { type id } attributes } } pageInfo { hasNextPage endCursor } } }`;
  try {
    const last24h = { from: iso(DAY), to: iso(0) };
    // Through the store's query repository: libs/store owns the SQL on audit_event.
    const store = new AuditEventQueryRepository(
      pool,
      { statementTimeoutMs: 600_000, exportTimeoutMs: 600_000 },
      new AuditEventRepository(),
    );
    const nowMicros = Date.now() * 1000;
    const day = { fromMicros: nowMicros - DAY * 1000, toMicros: nowMicros, toGiven: true };
    const count24h = (await store.counts(TenantScope.tenant(tenant), day, 'DAY')).reduce((n, row) => n + row.count, 0);
    const pageSize = Math.max(1, Math.min(100, Math.floor(Number(count24h) / 100)));
    let cursor99: string | null = null;
    for (let i = 0; i < 99; i++) {
      const data = (await gql(page, { filter: last24h, first: pageSize, after: cursor99 })) as {
        events: { pageInfo: { endCursor: string | null } };
      };
      cursor99 = data.events.pageInfo.endCursor;
    }
    const busiestActor = (
      await pool.query<{ actor_id: string }>(
        `SELECT actor_id FROM audit_event WHERE tenant_id = $1 AND time >= now() - interval '1 day' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
        [tenant],
      )
    ).rows[0]?.actor_id;
    const cases: [string, string, Record<string, unknown>][] = [
      ['first page, tenant’s last 24 h (100 events)', page, { filter: last24h, first: 100 }],
      [`100th page, tenant’s last 24 h (${pageSize} per page)`, page, { filter: last24h, first: pageSize, after: cursor99 }],
      ['actor history over 30 days (first 100)', page, { filter: { from: iso(30 * DAY), actorId: busiestActor }, first: 100 }],
      [
        'failed logins per hour over 7 days',
        `query ($filter: EventFilter!) { eventCounts(filter: $filter, bucket: HOUR) { counts { bucket count } truncated } }`,
        { filter: { from: iso(7 * DAY), actions: ['user.login.failed'] } },
      ],
      // Free text (issue 18, goal p99 <= 500 ms): a needle in one event in 10,000 (the seed's rare attribute value),
      // one in about a third of all events (the description of a refused request), and a word no event holds.
      ['free text, rare value, 30 days (first 100)', page, { filter: { from: iso(30 * DAY), text: 'impossible-travel' }, first: 100 }],
      ['free text, common phrase, 30 days (first 100)', page, { filter: { from: iso(30 * DAY), text: 'invalid credentials' }, first: 100 }],
      ['free text, no match, 30 days', page, { filter: { from: iso(30 * DAY), text: 'exfiltration' }, first: 100 }],
      [
        'top 10 client ips over 30 days',
        `query ($filter: EventFilter!) { topN(filter: $filter, by: CLIENT_IP, limit: 10) { key count } }`,
        { filter: { from: iso(30 * DAY) } },
      ],
      [
        'top 10 actors with failed logins over 30 days',
        `query ($filter: EventFilter!) { topN(filter: $filter, by: ACTOR, limit: 10) { key count } }`,
        { filter: { from: iso(30 * DAY), actions: ['user.login.failed'], outcome: 'FAILURE' } },
      ],
    ];
    const measurements: Measurement[] = [];
    for (const [name, query, variables] of cases) {
      for (let i = 0; i < 3; i++) await gql(query, variables);
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = process.hrtime.bigint();
        await gql(query, variables);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      measurements.push({
        name,
        value: percentile(times, 99),
        unit: 'ms p99',
        extra: { p50: percentile(times, 50), p95: percentile(times, 95), rounds: ROUNDS },
      });
    }
    writeReport({
      bench: 'query-api',
      startedAt,
      machine: machine(),
      parameters: { events, tenants: 50, days: 30, rounds: ROUNDS, seedSeconds, tenantEventsLast24h: Number(count24h) },
      measurements,
      ratios: {},
    });
  } finally {
    await app.stop();
    if (!reuse && !env.BENCH_KEEP) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
