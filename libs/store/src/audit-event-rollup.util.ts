/**
 * The rollups of `audit_event` the aggregations read instead of the events (docs/store.md): per tenant,
 * UTC hour (`audit_event_hourly`) and UTC day (`audit_event_daily`), dimension and value, the number of events
 * and of failures. Both are derived data: `insertBatch` maintains them in the statement that inserts the
 * events, counting only rows really inserted, and `backfillRollups` recomputes them from the events.
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
 * upsert runs in primary-key order, and hourly before daily, so concurrent batches lock rows in one order
 * and cannot deadlock.
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

/**
 * `insert` (an `INSERT INTO audit_event ... ON CONFLICT DO NOTHING`, without RETURNING) made to also add the
 * rows it really inserted to both rollups, in the same statement; the statement returns one row per Kafka topic and
 * partition the inserted rows came from (`kafka_topic`, `kafka_partition`, `inserted`: their number), so a
 * transaction that stores several partition batches at once can tell each batch what it stored.
 */
export function insertWithRollupsSql(insert: string): string {
  return `WITH ins AS (${insert} RETURNING ${ROLLUP_SOURCE_COLUMNS}, kafka_topic, kafka_partition),
    h AS (${hourlyAggregate('ins')}),
    ${upsertCtes()}
    SELECT kafka_topic, kafka_partition, count(*)::int AS inserted FROM ins GROUP BY 1, 2`;
}

/** Recomputes both rollups from `audit_event` (after a raw COPY that bypassed `insertBatch`, e.g. a seeder). */
export const BACKFILL_ROLLUPS_SQL = [
  `TRUNCATE ${HOURLY_ROLLUP_TABLE}, ${DAILY_ROLLUP_TABLE}`,
  `WITH h AS (${hourlyAggregate('audit_event')}), ${upsertCtes()} SELECT 1`,
];
