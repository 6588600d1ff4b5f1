import type { Pool } from 'pg';
import { inTransaction } from './pg-pool.factory';

/**
 * The rollups of `audit_event` the aggregations read instead of the events (docs/store.md): per tenant,
 * UTC hour (`audit_event_hourly`) and UTC day (`audit_event_daily`), dimension and value, the number of events
 * and of failures. Both are derived data. The transaction that stores a batch appends the counts of the rows it really
 * inserted to `audit_event_rollup_pending` (no key, so no conflict and no row lock between concurrent batches); the
 * `RollupFolder` moves them into both rollups every second, and top-N reads the rollups and the pending counts together
 * (`buildRollupTop`). `backfillRollups` recomputes them from the events.
 */

/** A rollup dimension, and the `audit_event` column its value is read from (nulls are not rolled up). */
export const ROLLUP_DIMENSIONS = {
  client_ip: 'client_ip',
  actor: 'actor_id',
  action: 'action',
  category: 'category',
  outcome: 'outcome',
  service: 'service_name',
} as const;
export type RollupDimension = keyof typeof ROLLUP_DIMENSIONS;

export const HOURLY_ROLLUP_TABLE = 'audit_event_hourly';
export const DAILY_ROLLUP_TABLE = 'audit_event_daily';
/** Counts appended with the events they count, not yet folded into the rollups (migration 1796800000000). */
export const PENDING_ROLLUP_TABLE = 'audit_event_rollup_pending';

/** `(VALUES ('client_ip', host(r.client_ip)), ...) AS d(dimension, value)` over the rows aliased `alias`. */
function dimensionValues(alias: string): string {
  const values = Object.entries(ROLLUP_DIMENSIONS).map(([name, column]) =>
    name === 'client_ip' ? `('${name}', host(${alias}.${column}))` : `('${name}', ${alias}.${column})`,
  );
  return `(VALUES ${values.join(', ')}) AS d(dimension, value)`;
}

/** The columns `audit_event` rows must carry for the rollups (the RETURNING list of the insert). */
export const ROLLUP_SOURCE_COLUMNS = 'tenant_id, time, client_ip, actor_id, action, category, outcome, service_name';

/** Per (tenant, UTC hour, dimension, value): events and failures of the rows of `source` (a table or a CTE). */
function hourlyAggregate(source: string): string {
  return `SELECT r.tenant_id, date_trunc('hour', r.time, 'UTC') AS hour, d.dimension, d.value,
      count(*) AS events, count(*) FILTER (WHERE r.outcome = 'FAILURE') AS failures
    FROM ${source} r CROSS JOIN LATERAL ${dimensionValues('r')}
    WHERE d.value IS NOT NULL GROUP BY 1, 2, 3, 4`;
}

const ADD = 'DO UPDATE SET events = $t.events + EXCLUDED.events, failures = $t.failures + EXCLUDED.failures';

/**
 * The upserts of both rollups from a CTE `h` shaped as `hourlyAggregate`, as CTEs to append to a WITH. Each
 * upsert runs in primary-key order, and hourly before daily, so two statements running at once (two folds, a fold and
 * a backfill) lock rows in one order and cannot deadlock.
 */
function upsertCtes(): string {
  return `rollup_hourly AS (
      INSERT INTO ${HOURLY_ROLLUP_TABLE} (tenant_id, hour, dimension, value, events, failures)
      SELECT tenant_id, hour, dimension, value, events, failures FROM h ORDER BY tenant_id, dimension, hour, value
      ON CONFLICT (tenant_id, dimension, hour, value) ${ADD.replace(/\$t/g, HOURLY_ROLLUP_TABLE)}),
    rollup_daily AS (
      INSERT INTO ${DAILY_ROLLUP_TABLE} (tenant_id, day, dimension, value, events, failures)
      SELECT tenant_id, date_trunc('day', hour, 'UTC'), dimension, value, sum(events), sum(failures) FROM h
      GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4
      ON CONFLICT (tenant_id, dimension, day, value) ${ADD.replace(/\$t/g, DAILY_ROLLUP_TABLE)})`;
}

const PENDING_COLUMNS = 'tenant_id, hour, dimension, value, events, failures';

/**
 * `insert` (an `INSERT INTO audit_event ... ON CONFLICT DO NOTHING`, without RETURNING) made to also append the counts
 * of the rows it really inserted to the pending rollups, in the same statement; the statement returns one row per Kafka
 * topic and partition the inserted rows came from (`kafka_topic`, `kafka_partition`, `inserted`: their number), so a
 * transaction that stores several partition batches at once can tell each batch what it stored.
 */
export function insertWithRollupsSql(insert: string): string {
  return `WITH ins AS (${insert} RETURNING ${ROLLUP_SOURCE_COLUMNS}, kafka_topic, kafka_partition),
    pending AS (INSERT INTO ${PENDING_ROLLUP_TABLE} (${PENDING_COLUMNS}) ${hourlyAggregate('ins')})
    SELECT kafka_topic, kafka_partition, count(*)::int AS inserted FROM ins GROUP BY 1, 2`;
}

/**
 * Appends rollup counts aggregated by the caller (`aggregateRollups`) to the pending rollups: parameters are parallel
 * arrays of tenant, UTC hour, dimension, value (a client IP as the row's text, spelled here as `host()` spells it, like
 * the insert's rollups do), events and failures. For rows the caller knows were all inserted (a COPY that succeeded).
 */
export const ADD_ROLLUPS_SQL = `INSERT INTO ${PENDING_ROLLUP_TABLE} (${PENDING_COLUMNS})
  SELECT k.tenant_id, date_trunc('hour', k.hour, 'UTC'), k.dimension,
         CASE WHEN k.dimension = 'client_ip' THEN host(k.value::inet) ELSE k.value END, k.events, k.failures
    FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
      AS k(tenant_id, hour, dimension, value, events, failures)`;

/**
 * Moves at most `$1` pending counts into both rollups in one statement: deleted from the pending table and added to
 * the rollups together, so a reader sees them in one place or the other, never both nor neither. Returns how many
 * pending rows it moved (`folded`). Counts a transaction appends meanwhile are not seen, and wait for the next fold.
 */
export const FOLD_ROLLUPS_SQL = `WITH d AS (
    DELETE FROM ${PENDING_ROLLUP_TABLE} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${PENDING_ROLLUP_TABLE} LIMIT $1))
    RETURNING ${PENDING_COLUMNS}),
    h AS (SELECT tenant_id, hour, dimension, value, sum(events)::bigint AS events, sum(failures)::bigint AS failures
            FROM d GROUP BY 1, 2, 3, 4),
    ${upsertCtes()}
    SELECT count(*)::int AS folded FROM d`;

/** The source of a rollup count: a row's tenant, time (ISO-8601 UTC, as `toRow` writes it) and dimension columns. */
export interface RollupSource {
  tenantId: string;
  time: string;
  outcome: string;
  clientIp: string | null;
  actorId: string | null;
  action: string | null;
  category: string | null;
  serviceName: string | null;
}

const HOUR_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:/;

/** Where `aggregateRollups` reads each dimension's value (ROLLUP_DIMENSIONS names the same columns). */
const ROLLUP_ROW_KEYS: Record<RollupDimension, Exclude<keyof RollupSource, 'tenantId' | 'time'>> = {
  client_ip: 'clientIp',
  actor: 'actorId',
  action: 'action',
  category: 'category',
  outcome: 'outcome',
  service: 'serviceName',
};
const ROW_KEYS = Object.entries(ROLLUP_ROW_KEYS) as [RollupDimension, Exclude<keyof RollupSource, 'tenantId' | 'time'>][];

/** `ADD_ROLLUPS_SQL`'s parameters for these rows: one entry per tenant, hour, dimension and value, nulls left out. */
export function aggregateRollups(rows: readonly RollupSource[]): [string[], string[], string[], string[], number[], number[]] {
  // Per tenant and hour, one map per dimension from value to counts: no key string built per dimension and row.
  const groups = new Map<string, { tenant: string; hour: string; values: Map<string, [events: number, failures: number]>[] }>();
  for (const row of rows) {
    // 2026-11-27T22:41:07.123456Z -> 2026-11-27T22; a time of another shape (a year past 9999) is left whole to
    // ADD_ROLLUPS_SQL's date_trunc.
    const standard = HOUR_PREFIX.test(row.time);
    const prefix = standard ? row.time.slice(0, 13) : row.time;
    const key = `${row.tenantId}\u0000${prefix}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        tenant: row.tenantId,
        hour: standard ? `${prefix}:00:00Z` : prefix,
        values: ROW_KEYS.map(() => new Map<string, [number, number]>()),
      };
      groups.set(key, group);
    }
    const failed = row.outcome === 'FAILURE' ? 1 : 0;
    for (let d = 0; d < ROW_KEYS.length; d++) {
      const value = row[(ROW_KEYS[d] as (typeof ROW_KEYS)[number])[1]];
      if (value === null) continue;
      const values = group.values[d] as Map<string, [number, number]>;
      const counts = values.get(value);
      if (counts === undefined) values.set(value, [1, failed]);
      else {
        counts[0]++;
        counts[1] += failed;
      }
    }
  }
  const out: [string[], string[], string[], string[], number[], number[]] = [[], [], [], [], [], []];
  for (const { tenant, hour, values } of groups.values()) {
    values.forEach((byValue, d) => {
      const dimension = (ROW_KEYS[d] as (typeof ROW_KEYS)[number])[0];
      for (const [value, [events, failures]] of byValue) {
        out[0].push(tenant);
        out[1].push(hour);
        out[2].push(dimension);
        out[3].push(value);
        out[4].push(events);
        out[5].push(failures);
      }
    });
  }
  return out;
}

/**
 * Recomputes both rollups from `audit_event` (after a raw COPY that bypassed `insertBatch`, e.g. a seeder); what was
 * pending is counted in the events, so it goes. Run by `backfillRollups`, in one transaction.
 */
export const BACKFILL_ROLLUPS_SQL = [
  `TRUNCATE ${HOURLY_ROLLUP_TABLE}, ${DAILY_ROLLUP_TABLE}, ${PENDING_ROLLUP_TABLE}`,
  `WITH h AS (${hourlyAggregate('audit_event')}), ${upsertCtes()} SELECT 1`,
];

/**
 * `BACKFILL_ROLLUPS_SQL` in one transaction: the TRUNCATE holds back the batches and folds that would write meanwhile
 * until the recount commits, so a batch stored between the two statements is not counted twice.
 */
export async function backfillRollups(pool: Pick<Pool, 'connect'>): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const sql of BACKFILL_ROLLUPS_SQL) await client.query(sql);
  });
}
