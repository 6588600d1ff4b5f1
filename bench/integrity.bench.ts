// The hash chain's cost and `vigil verify`'s speed (issue 17), each against a baseline of the same run.
//  1. Storing: BENCH_EVENTS (default 200,000) events of 50 tenants, in batches of 5,000 as the materializer stores a
//     partition batch, through BatchMaterializer into two fresh schemas: with the chain, and without it (the
//     baseline). The two runs alternate in rounds, so a noisy neighbour hits both alike.
//  2. Verifying: `vigil verify --tenant` (the CLI as an operator runs it: PostgreSQL reads, canonical form, SHA-256)
//     over one tenant holding all the events of a third schema, against the in-process walk of the same events
//     (chain form and SHA-256 only: the ceiling on one core).
import pg from 'pg';
import { GENESIS, nextLink } from '@vigil/integrity';
import { AuditEventRepository, BatchMaterializer, runMigrations, type EventWithOrigin } from '@vigil/store';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { benchEvent } from './lib/bench-event.factory';
import { runCli } from './lib/cli-run.util';
import { machine, round, secondsSince, writeReport } from './lib/report.util';

const env = benchEnv();
const EVENTS = env.BENCH_EVENTS ?? 200_000;
const BATCH = 5_000;
const ROUNDS = 4;

function schemaUrl(schema: string): string {
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

function eventsOf(tenant: string, count: number, oneTenant: boolean): EventWithOrigin[] {
  const now = Date.now() * 1000;
  return Array.from({ length: count }, (_, i) => {
    const event = benchEvent(i, tenant, now - (count - i) * 1000);
    return {
      event: oneTenant ? { ...event, tenantId: tenant } : event,
      origin: { topic: 'audit.authentication', partition: 0, offset: String(i) },
    };
  });
}

async function store(pool: pg.Pool, materializer: BatchMaterializer, events: readonly EventWithOrigin[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += BATCH) await materializer.store(pool, events.slice(i, i + BATCH));
  return events.length / secondsSince(start);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const base = uniqueName('bench_chain').replace(/-/g, '_');
  const schemas = { chained: `${base}_on`, plain: `${base}_off`, verify: `${base}_verify` };
  for (const schema of Object.values(schemas)) await runMigrations(testEnv.databaseUrl, { schema });
  const pools = Object.fromEntries(
    Object.entries(schemas).map(([k, schema]) => [k, new pg.Pool({ connectionString: schemaUrl(schema), max: 2 })]),
  ) as Record<keyof typeof schemas, pg.Pool>;
  const repository = new AuditEventRepository();
  const chained = new BatchMaterializer(repository, () => true);
  const plain = new BatchMaterializer(repository, () => true, { chain: false });
  try {
    // 1. Storing, with and without the chain, alternating.
    const perRound = Math.floor(EVENTS / ROUNDS);
    const rates = { chained: [] as number[], plain: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const events = eventsOf(`bench-chain-${r}`, perRound, false);
      const order: (keyof typeof rates)[] = r % 2 === 0 ? ['chained', 'plain'] : ['plain', 'chained'];
      for (const which of order) rates[which].push(await store(pools[which], which === 'chained' ? chained : plain, events));
    }
    const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const withChain = total(rates.chained);
    const without = total(rates.plain);

    // 2. Verifying one tenant's chain of EVENTS events.
    const tenant = 'bench-verify';
    const events = eventsOf(tenant, EVENTS, true);
    await store(pools.verify, chained, events);
    const walkStart = process.hrtime.bigint();
    let link: Buffer = GENESIS;
    for (const { event } of events) link = nextLink(link, event);
    const walk = EVENTS / secondsSince(walkStart);
    const verifyStart = process.hrtime.bigint();
    const run = await runCli(['verify', '--tenant', tenant, '--json'], { DATABASE_URL: schemaUrl(schemas.verify), LOG_LEVEL: 'error' });
    const verifySeconds = secondsSince(verifyStart);
    const report = JSON.parse(run.stdout) as { ok: boolean; checked: number };
    if (run.code !== 0 || !report.ok || report.checked !== EVENTS)
      throw new Error(`vigil verify did not verify the ${EVENTS} events (exit ${run.code}): ${run.stderr} ${run.stdout.slice(0, 500)}`);
    const verifyRate = EVENTS / verifySeconds;

    writeReport({
      bench: 'integrity',
      startedAt,
      machine: machine(),
      parameters: { events: EVENTS, batch: BATCH, rounds: ROUNDS, tenants: 50 },
      measurements: [
        {
          name: 'store with the hash chain (BatchMaterializer)',
          value: withChain,
          unit: 'events/s',
          extra: { rounds: rates.chained.map(round).join('/') },
        },
        {
          name: 'store without the chain (baseline)',
          value: without,
          unit: 'events/s',
          extra: { rounds: rates.plain.map(round).join('/') },
        },
        {
          name: `vigil verify --tenant (${EVENTS} events, end to end)`,
          value: verifyRate,
          unit: 'events/s',
          extra: { seconds: verifySeconds },
        },
        { name: 'in-process walk of the same events (chain form + SHA-256)', value: walk, unit: 'events/s' },
      ],
      ratios: {
        'store with chain / without': withChain / without,
        'vigil verify / in-process walk': verifyRate / walk,
      },
    });
  } finally {
    for (const pool of Object.values(pools)) await pool.end();
    const admin = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 1 });
    for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
