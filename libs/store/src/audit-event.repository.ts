import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import type { ClientBase, Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EntityManager } from 'typeorm';
import { ADD_ROLLUPS_SQL, aggregateRollups, insertWithRollupsSql } from './audit-event-rollup.util';
import { fromRecord, type AuditEventRecord, type AuditEventRow, type StoredAuditEvent } from './audit-event.mapper';
import { scopePredicates } from './event-sql.mapper';
import { ENVELOPE_COLUMNS, envelopeCopyText, type EnvelopeCopyFields } from './generated/audit-event.columns';
import { inTransaction } from './pg-pool.factory';
import { TenantScope } from './tenant-scope.types';

/** Where the store's reads run: a pg pool or client, or a TypeORM entity manager. */
export type StoreExecutor = Pick<ClientBase, 'query'> | EntityManager;

type Value = string | number | null;
type Column = readonly [name: string, type: string, value: (row: AuditEventRow) => Value];

/** text[] in COPY's text format is an array literal. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** The envelope's columns (generated from avro/envelope.avsc), then where the event came from in Kafka. */
const COLUMNS: readonly Column[] = [
  ...ENVELOPE_COLUMNS.map(({ column, sqlType, rowKey }): Column => [
    column,
    sqlType,
    (r) => {
      const value = r[rowKey];
      return Array.isArray(value) ? arrayLiteral(value) : value;
    },
  ]),
  ['kafka_topic', 'text', (r) => r.kafkaTopic],
  ['kafka_partition', 'integer', (r) => r.kafkaPartition],
  ['kafka_offset', 'bigint', (r) => r.kafkaOffset],
  // The event's place in its hash chain (docs/integrity.md); bytea in COPY's text format is \x and hex.
  ['chain_seq', 'bigint', (r) => r.chainSeq ?? null],
  ['chain_hash', 'bytea', (r) => (r.chainHash == null ? null : `\\x${r.chainHash}`)],
];

/** Column names in insert order (COPY and seeding tools use the same order), and their SQL types. */
export const AUDIT_EVENT_INSERT_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);
export const AUDIT_EVENT_INSERT_TYPES: readonly string[] = COLUMNS.map(([, type]) => type);

/** A row's values in `AUDIT_EVENT_INSERT_COLUMNS` order (actor_roles as an array literal), e.g. for a raw COPY. */
export function rowValues(row: AuditEventRow): Value[] {
  return COLUMNS.map(([, , value]) => value(row));
}

/** PostgreSQL's unique violation: `insertNewBatchByPartition` met a row stored already. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** All rows `insertBatchByPartition` or `insertNewBatchByPartition` says were new. */
export function insertedTotal(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}

/** The key of a Kafka partition in `insertBatchByPartition`'s answer. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const names = AUDIT_EVENT_INSERT_COLUMNS.join(', ');

/**
 * The session's staging table. Defined from COLUMNS rather than LIKE audit_event, so it always matches the code
 * that fills it; temporary, so each connection has its own and concurrent batches never meet.
 */
export const STAGE_TABLE = 'audit_event_stage';
const CREATE_STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`;
const COPY_SQL = `COPY ${STAGE_TABLE} (${names}) FROM STDIN`;
const COPY_DIRECT_SQL = `COPY audit_event (${names}) FROM STDIN`;
/** The insert, which also appends the counts of the rows it really inserted to the pending rollups (audit-event-rollup.util.ts). */
const INSERT_SQL = insertWithRollupsSql(
  `INSERT INTO audit_event (${names}) SELECT ${names} FROM ${STAGE_TABLE} ON CONFLICT (time, id) DO NOTHING`,
);

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPE_EACH = new RegExp(NEEDS_ESCAPE.source, 'g');

/** A value in COPY's text format. */
function copyField(value: Value): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  // Most values have nothing to escape: a test is cheaper than a replace that finds nothing.
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_EACH, (ch) => COPY_ESCAPES[ch] ?? ch) : value;
}

/** How the envelope's values are written in COPY's text format (`envelopeCopyText`). */
const COPY_FIELDS: EnvelopeCopyFields = {
  text: copyField,
  number: (value) => (value === null ? '\\N' : String(value)),
  array: (values) => copyField(arrayLiteral(values)),
};

/**
 * One row as a line of COPY's text format, columns in `AUDIT_EVENT_INSERT_COLUMNS` order. The envelope's columns
 * are written by generated code, one property read each: reading them through COLUMNS' accessors (one closure shared
 * by every column) was a megamorphic keyed load per column and row. A unit test holds the line to COLUMNS.
 */
export function copyLine(row: AuditEventRow): string {
  const hash = row.chainHash == null ? '\\N' : `\\\\x${row.chainHash}`;
  return `${envelopeCopyText(row, COPY_FIELDS)}\t${copyField(row.kafkaTopic)}\t${row.kafkaPartition}\t${copyField(row.kafkaOffset)}\t${copyField(row.chainSeq ?? null)}\t${hash}\n`;
}

/** The rows through a `COPY … FROM STDIN` in one chunk: a stream chunk per row cost a write and a callback per row. */
async function copyRows(client: ClientBase, copySql: string, rows: readonly AuditEventRow[]): Promise<void> {
  await pipeline(Readable.from([rows.map(copyLine).join('')]), client.query(copyFrom(copySql)));
}

/** Every column of `audit_event`, with the times as epoch-microsecond text (`AuditEventRecord`, read by `fromRecord`). */
export const AUDIT_EVENT_SELECT_SQL = `
  SELECT *, (extract(epoch FROM time) * 1000000)::bigint::text AS time_us,
         (extract(epoch FROM observed_time) * 1000000)::bigint::text AS observed_time_us
  FROM audit_event`;

/** The rows of a query on any store executor (a pg pool or client, or a TypeORM entity manager). */
export async function queryRows<T>(db: StoreExecutor, sql: string, params: unknown[]): Promise<T[]> {
  if (db instanceof EntityManager) return db.query<T[]>(sql, params);
  return (await db.query(sql, params)).rows as T[];
}

/** The connection under a pg client or a TypeORM transaction: COPY and the insert after it must share a session. */
async function sessionOf(db: ClientBase | EntityManager): Promise<ClientBase> {
  if (!(db instanceof EntityManager)) return db;
  if (!db.queryRunner) throw new Error('insertBatch needs a connection: call it inside dataSource.transaction(...)');
  const connection: unknown = await db.queryRunner.connect();
  return connection as ClientBase;
}

/** Writes and reads `audit_event`. Holds no connection: each call runs on the executor it is given. */
@Injectable()
export class AuditEventRepository {
  /**
   * Inserts the rows and returns how many were new: COPY into the session's staging table, then one
   * `INSERT ... SELECT ... ON CONFLICT (time, id) DO NOTHING` (measured faster than unnest; docs/store.md), whose
   * RETURNING rows' counts are appended to `audit_event_rollup_pending` in the same statement (folded into the rollups
   * later: `RollupFolder`).
   * Idempotent: rows already stored, and duplicates within the batch, are skipped. Run it in the transaction
   * after which the Kafka offsets are committed; outside one it is still correct, just not atomic.
   */
  async insertBatch(db: ClientBase | EntityManager, rows: readonly AuditEventRow[]): Promise<number> {
    return insertedTotal(await this.insertBatchByPartition(db, rows));
  }

  /**
   * `insertBatch`, telling how many rows were new per Kafka partition they came from (`partitionKey(topic,
   * partition)`; partitions none of whose rows were new are absent): the materializer stores several partitions'
   * batches in one transaction and reports each batch's figures.
   */
  async insertBatchByPartition(db: ClientBase | EntityManager, rows: readonly AuditEventRow[]): Promise<Map<string, number>> {
    const inserted = new Map<string, number>();
    if (rows.length === 0) return inserted;
    const client = await sessionOf(db);
    await client.query(CREATE_STAGE_SQL);
    // TRUNCATE rather than ON COMMIT DELETE ROWS: outside a transaction the staged rows must survive until the INSERT.
    await client.query(`TRUNCATE ${STAGE_TABLE}`);
    await copyRows(client, COPY_SQL, rows);
    const result = await client.query<{ kafka_topic: string; kafka_partition: number; inserted: number }>(INSERT_SQL);
    for (const r of result.rows) inserted.set(partitionKey(r.kafka_topic, r.kafka_partition), r.inserted);
    return inserted;
  }

  /**
   * The fast path for rows that are all new, which is nearly every batch: COPY straight into `audit_event` (no staging
   * table, no INSERT ... SELECT) and append the rows' counts, aggregated here, to the pending rollups. Throws PostgreSQL's
   * unique violation (23505, `isUniqueViolation`) when any row is stored already, having stored none: run it after a
   * SAVEPOINT, and on that error roll back to it and take `insertBatchByPartition`, which skips what is stored.
   * Answers like `insertBatchByPartition`.
   */
  async insertNewBatchByPartition(client: ClientBase, rows: readonly AuditEventRow[]): Promise<Map<string, number>> {
    const inserted = new Map<string, number>();
    if (rows.length === 0) return inserted;
    await copyRows(client, COPY_DIRECT_SQL, rows);
    await client.query(ADD_ROLLUPS_SQL, aggregateRollups(rows));
    for (const row of rows) {
      const key = partitionKey(row.kafkaTopic, row.kafkaPartition);
      inserted.set(key, (inserted.get(key) ?? 0) + 1);
    }
    return inserted;
  }

  /**
   * `insertBatch` in a transaction of its own on a pooled connection: the unit after which a consumer may
   * commit its Kafka offsets. Rolled back whole on any error.
   */
  async insertBatchInTransaction(pool: Pool, rows: readonly AuditEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return inTransaction(pool, (client) => this.insertBatch(client, rows));
  }

  /**
   * An event by id within the scope, with every field and its Kafka origin; null when absent or outside it.
   * The one lookup by id: the query API's runs it in its read-only transaction.
   */
  async findById(db: StoreExecutor, scope: TenantScope, id: string): Promise<StoredAuditEvent | null> {
    if (!(scope instanceof TenantScope)) throw new Error('an event query needs a TenantScope');
    if (!UUID.test(id)) return null;
    const params: unknown[] = [id];
    // The tenant and, for a viewer's scope, its actor and target: the same predicates as every other event query.
    const scoped = scopePredicates(scope, (value) => `$${params.push(value)}`).map((clause) => ` AND ${clause}`);
    const [record] = await queryRows<AuditEventRecord>(db, `${AUDIT_EVENT_SELECT_SQL} WHERE id = $1${scoped.join('')} LIMIT 1`, params);
    return record ? fromRecord(record) : null;
  }
}
