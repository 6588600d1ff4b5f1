// Measures the two set-based insert strategies of the materializer on the same 10,000 rows:
// `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING` against COPY into a temporary staging table then
// `INSERT ... SELECT ... ON CONFLICT DO NOTHING` (what AuditEventRepository.insertBatch does), with a raw COPY
// into audit_event (no dedup) as the ceiling. Run: npm run bench -- insert-strategy
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Clock } from '@vigil/common';
import {
  AUDIT_EVENT_INSERT_COLUMNS,
  AUDIT_EVENT_INSERT_TYPES,
  AuditEventRepository,
  copyLine,
  DEFAULT_STORE_OPTIONS,
  PartitionManager,
  rowValues,
  toRow,
  type AuditEventRow,
} from '@vigil/store';
import { benchEnv, createScratchStore, makeEvent, makeOrigin, microsOf, type ScratchStore } from '@vigil/testing';

const env = benchEnv();
const ROWS = env.BENCH_ROWS;
const ROUNDS = env.BENCH_ROUNDS ?? 5;
const columns = AUDIT_EVENT_INSERT_COLUMNS.join(', ');

/** The alternative measured against: one INSERT ... SELECT FROM unnest($1::text[], ...) with a parameter per column. */
const unnestSelect = AUDIT_EVENT_INSERT_COLUMNS.map((name) => (name === 'actor_roles' ? 'actor_roles::text[]' : name)).join(', ');
// A text[] per row cannot travel in a 2-D array (rows differ in length), so actor_roles travels as array literals.
const unnestParams = AUDIT_EVENT_INSERT_TYPES.map((type, i) => `$${i + 1}::${type === 'text[]' ? 'text' : type}[]`).join(', ');
const UNNEST_SQL = `INSERT INTO audit_event (${columns}) SELECT ${unnestSelect} FROM unnest(${unnestParams}) AS r(${columns}) ON CONFLICT (time, id) DO NOTHING`;

async function copyInto(client: PoolClient, table: string, rows: readonly AuditEventRow[]): Promise<void> {
  await pipeline(Readable.from(rows.map(copyLine)), client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN`)));
}

type Strategy = (client: PoolClient, rows: readonly AuditEventRow[]) => Promise<unknown>;

const repository = new AuditEventRepository();
const strategies: Record<string, Strategy> = {
  unnest: (client, rows) => {
    const values = rows.map(rowValues);
    return client.query(
      UNNEST_SQL,
      AUDIT_EVENT_INSERT_COLUMNS.map((_, i) => values.map((row) => row[i])),
    );
  },
  'copy-staging': (client, rows) => repository.insertBatch(client, rows),
  'raw-copy': (client, rows) => copyInto(client, 'audit_event', rows),
};

function makeRows(count: number): AuditEventRow[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const event = makeEvent({
      tenantId: `tenant-${i % 20}`,
      time: microsOf(new Date(now - Math.floor(Math.random() * 86_400_000)), i % 1000),
      actor: { id: `user-${i % 500}`, name: `User ${i % 500}`, type: 'USER', roles: ['analyst'] },
      client: { ip: `10.${i % 256}.${(i >> 8) % 256}.${i % 7}`, userAgent: 'Mozilla/5.0' },
      action: ['user.login.failed', 'user.login.succeeded', 'role.assigned'][i % 3] ?? 'user.login.failed',
    });
    return toRow(event, makeOrigin('audit.authentication', i % 6));
  });
}

async function timeOnce(store: ScratchStore, strategy: Strategy, rows: readonly AuditEventRow[], batch: number): Promise<number> {
  await store.pool.query('TRUNCATE audit_event');
  const client = await store.pool.connect();
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < rows.length; i += batch) {
      await client.query('BEGIN');
      await strategy(client, rows.slice(i, i + batch));
      await client.query('COMMIT');
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  const store = await createScratchStore();
  try {
    await new PartitionManager(store.pool, new Clock(), DEFAULT_STORE_OPTIONS).maintain();
    const mapStarted = process.hrtime.bigint();
    const rows = makeRows(ROWS);
    const mapMs = Number(process.hrtime.bigint() - mapStarted) / 1e6;
    const results: Record<string, unknown>[] = [];
    for (const batch of [ROWS, 1000]) {
      const samples: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const [name, strategy] of Object.entries(strategies))
          (samples[name] ??= []).push(await timeOnce(store, strategy, rows, batch));
      }
      for (const [name, ms] of Object.entries(samples)) {
        const median = [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? 0;
        results.push({ strategy: name, rows: ROWS, batch, medianMs: Math.round(median), rowsPerSec: Math.round((ROWS / median) * 1000) });
      }
    }
    process.stdout.write(`${JSON.stringify({ makeEventsAndMapMs: Math.round(mapMs), results }, null, 2)}\n`);
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
