import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { ChainCheckpointRepository, type StoredCheckpoint } from './chain-checkpoint.repository';
import { fromRecord, type AuditEventRecord, type StoredAuditEvent } from './audit-event.mapper';
import { byteBoundedSql, rowsRead, type ByteBoundedColumns } from './byte-bounded-page.util';
import { AUDIT_EVENT_SELECT_SQL as SELECT, AuditEventRepository } from './audit-event.repository';
import type { Bucket, EventFilter, EventOrder, GroupBy, Keyset } from './event-filter.types';
import { buildEventWhere, buildRollupTop, groupColumn, orderBy, rollupRange } from './event-sql.mapper';
import { StoreErrorCode, StoreException } from './store.exception';
import { EVENT_QUERY_OPTIONS, PG_POOL } from './store.tokens';
import { TenantScope } from './tenant-scope.types';

/** The statement timeouts of the reads (PostgreSQL `statement_timeout`, milliseconds). */
export interface EventQueryOptions {
  statementTimeoutMs: number;
  /** For `stream`, which may read a month of events. */
  exportTimeoutMs: number;
}
/** Rows an aggregation may return (buckets x groups); beyond it the answer says `truncated`. */
export const MAX_COUNT_ROWS = 20_000;
/**
 * Rows an export reads at a time: an event holds up to 512 KiB, so 100 of them are at most about 50 MiB in this process
 * (1,000 were half a gigabyte). Streaming 111,000 rows took the same time at 100, 250 and 1,000 a read.
 */
const EXPORT_BATCH = 100;

export interface CountRow {
  bucket: Date;
  key: string | null;
  count: number;
}

export interface TopRow {
  key: string | null;
  count: number;
}

const QUERY_CANCELED = '57014';

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === QUERY_CANCELED;
}

/**
 * Reads `audit_event` and its rollups for the query API. Every method takes a TenantScope and builds its WHERE
 * through `buildEventWhere` (or `buildRollupTop`), so no query runs without the tenant predicate. Each runs in a
 * read-only transaction with `SET LOCAL statement_timeout`; a cancelled statement becomes StoreException
 * QUERY_TIMEOUT.
 */
@Injectable()
export class AuditEventQueryRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_QUERY_OPTIONS) private readonly options: EventQueryOptions,
    private readonly events: AuditEventRepository,
  ) {}

  /**
   * One page in (time, id) order; asks for `first + 1` rows so the caller knows whether there is a next page. The page
   * also ends once its rows' text reaches `maxBytes` (always at least one row): an event may hold up to 512 KiB, and
   * 1,000 of them would be half a gigabyte in this process. PostgreSQL measures and cuts, so the rows past the bound
   * never leave the database; `cut` says the page ended early and more rows follow.
   */
  async page(
    scope: TenantScope,
    filter: EventFilter,
    first: number,
    order: EventOrder,
    after: Keyset | undefined,
    maxBytes: number,
  ): Promise<{ rows: StoredAuditEvent[]; cut: boolean }> {
    const where = buildEventWhere(scope, filter, after, order);
    const pageSql = `${SELECT} WHERE ${where.sql} ORDER BY ${orderBy(order)} LIMIT ${first + 1}`;
    const sql = byteBoundedSql(pageSql, orderBy(order), where.params.length + 1);
    const rows = await this.read<AuditEventRecord & ByteBoundedColumns>(sql, [...where.params, maxBytes]);
    return { rows: rows.map(fromRecord), cut: rows.length < rowsRead(rows) };
  }

  findById(scope: TenantScope, id: string): Promise<StoredAuditEvent | null> {
    return this.readOnly((client) => this.events.findById(client, scope, id));
  }

  /** The tenant's chain checkpoints (docs/integrity.md), of one category and taken in [from, to) when given. */
  checkpoints(
    scope: TenantScope,
    filter: { category?: string | undefined; from?: Date | undefined; to?: Date | undefined; limit: number },
  ): Promise<StoredCheckpoint[]> {
    const tenantId = scope.tenantId;
    if (tenantId === null) throw new Error('checkpoints are read for one tenant');
    return this.readOnly((client) => new ChainCheckpointRepository().list(client, tenantId, filter));
  }

  /** Counts per time bucket (UTC) and optional group key, oldest bucket first. */
  async counts(scope: TenantScope, filter: EventFilter, bucket: Bucket, groupBy?: GroupBy): Promise<CountRow[]> {
    const where = buildEventWhere(scope, filter);
    const unit = bucket.toLowerCase();
    const key = groupBy ? groupColumn(groupBy) : 'NULL::text';
    const sql = `SELECT date_trunc('${unit}', time) AS bucket, ${key} AS key, count(*)::int AS count
      FROM audit_event WHERE ${where.sql} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2 LIMIT ${MAX_COUNT_ROWS + 1}`;
    return this.read<CountRow>(sql, where.params);
  }

  /**
   * The `limit` most frequent values of a key (nulls left out), most frequent first. Read from the hourly and
   * daily rollups when they can answer the filter (`rollupRange`: time range and `outcome: FAILURE` only, whole
   * hours or at least 24 h) and the scope is not restricted to an actor or a target, else from `audit_event`.
   */
  async top(scope: TenantScope, filter: EventFilter, by: GroupBy, limit: number): Promise<TopRow[]> {
    // A viewer's scope narrowed to an actor or a target: the rollups hold neither, so only audit_event can answer.
    const range = scope.isRestricted ? null : rollupRange(filter);
    if (range) {
      const rollup = buildRollupTop(scope, range, by, filter.outcome === 'FAILURE', limit);
      return this.read<TopRow>(rollup.sql, rollup.params);
    }
    return this.topFromEvents(scope, filter, by, limit);
  }

  /** `top` over `audit_event` itself, whatever the filter. */
  async topFromEvents(scope: TenantScope, filter: EventFilter, by: GroupBy, limit: number): Promise<TopRow[]> {
    const where = buildEventWhere(scope, filter);
    const key = groupColumn(by);
    const notNull = by === 'CLIENT_IP' ? ' AND client_ip IS NOT NULL' : '';
    const sql = `SELECT ${key} AS key, count(*)::int AS count FROM audit_event WHERE ${where.sql}${notNull}
      GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${limit}`;
    return this.read<TopRow>(sql, where.params);
  }

  /**
   * Every matching event in order, read through a server-side cursor EXPORT_BATCH rows at a time: memory
   * stays constant however many rows match, and the next batch is read only when the consumer pulls
   * (backpressure). Ending the iteration early (client gone) closes the cursor and releases the connection.
   */
  async *stream(scope: TenantScope, filter: EventFilter, order: EventOrder): AsyncGenerator<StoredAuditEvent> {
    const where = buildEventWhere(scope, filter);
    const client = await this.pool.connect();
    // While checked out, the pool does not listen for the client's errors: a session ended by the server
    // (idle_in_transaction_session_timeout while a client stalls) would otherwise be an uncaught 'error'.
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    let cursor: Cursor<AuditEventRecord> | undefined;
    let committed = false;
    try {
      await this.begin(client, this.options.exportTimeoutMs);
      cursor = client.query(new Cursor<AuditEventRecord>(`${SELECT} WHERE ${where.sql} ORDER BY ${orderBy(order)}`, where.params));
      for (;;) {
        let rows: AuditEventRecord[];
        try {
          rows = await cursor.read(EXPORT_BATCH);
        } catch (err) {
          throw this.translate(err);
        }
        if (rows.length === 0) break;
        for (const row of rows) yield fromRecord(row);
      }
      await cursor.close();
      cursor = undefined;
      await client.query('COMMIT');
      committed = true;
    } finally {
      // Runs on every path: done, a failed read, and `return()` from a consumer that stopped (client gone, write error).
      if (cursor && !broken) await cursor.close().catch(() => undefined);
      if (!committed && !broken) await client.query('ROLLBACK').catch((err: Error) => (broken = err));
      client.removeListener('error', onError);
      // A broken session is destroyed rather than handed to the next request.
      client.release(broken);
    }
  }

  private read<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.readOnly(async (client) => (await client.query(sql, params)).rows as T[]);
  }

  private async readOnly<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await this.begin(client, this.options.statementTimeoutMs);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.translate(err);
    } finally {
      client.release();
    }
  }

  private async begin(client: PoolClient, timeoutMs: number): Promise<void> {
    await client.query('BEGIN READ ONLY');
    // SET LOCAL through set_config, so the value is a bind parameter; UTC so date_trunc buckets are UTC days.
    await client.query(`SELECT set_config('statement_timeout', $1, true), set_config('TimeZone', 'UTC', true)`, [String(timeoutMs)]);
  }

  private translate(err: unknown): unknown {
    if (isTimeout(err))
      return new StoreException(StoreErrorCode.QUERY_TIMEOUT, 'statement_timeout', 'the query took longer than the statement timeout');
    return err;
  }
}
