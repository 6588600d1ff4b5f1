import pg, { type CustomTypesConfig, type Pool } from 'pg';

const pgTypes = pg.types;
import type { AuditEvent } from '@vigil/events';
import { AUDIT_EVENT_SELECT_SQL } from './audit-event.repository';
import { fromRecord, type AuditEventRecord } from './audit-event.mapper';
import { byteBoundedSql, rowsRead, type ByteBoundedColumns } from './byte-bounded-page.util';

/** A stored event at its place in a chain, as `vigil verify` reads it. */
export interface ChainRow {
  seq: number;
  hash: string;
  event: AuditEvent;
}

export interface ChainHeadRow {
  category: string;
  seq: number;
  hash: string;
}

/**
 * timestamptz columns left as text: the event's times are read as epoch microseconds (time_us), and parsing three
 * Dates a row was a tenth of the verifier's time.
 */
const TIMESTAMPTZ_OID = 1184;
const SKIP_TIMESTAMPS: CustomTypesConfig = {
  getTypeParser: ((oid: number) =>
    oid === TIMESTAMPTZ_OID
      ? (value: string): string => value
      : (pgTypes.getTypeParser(oid, 'text') as (value: string) => unknown)) as CustomTypesConfig['getTypeParser'],
};

type ChainRecord = AuditEventRecord & { chain_seq: string; chain_hash_hex: string; time_us: string };

/** Reads the hash chain back from the store for verification (docs/integrity.md). Holds no connection. */
export class ChainRowRepository {
  /** The tenant's chain heads, one per category it has events of. */
  async heads(pool: Pool, tenantId: string): Promise<ChainHeadRow[]> {
    const { rows } = await pool.query<{ category: string; seq: string; hash: string }>(
      `SELECT category, seq, encode(hash, 'hex') AS hash FROM audit_chain_head WHERE tenant_id = $1 AND seq > 0 ORDER BY category`,
      [tenantId],
    );
    return rows.map((r) => ({ category: r.category, seq: Number(r.seq), hash: r.hash }));
  }

  /** The first and last sequence numbers of the chain's stored events whose time is in [from, to). */
  async seqRange(
    pool: Pool,
    tenantId: string,
    category: string,
    range: { from?: Date | undefined; to?: Date | undefined },
  ): Promise<{ first: number; last: number } | undefined> {
    const { rows } = await pool.query<{ first: string | null; last: string | null }>(
      `SELECT min(chain_seq) AS first, max(chain_seq) AS last FROM audit_event
        WHERE tenant_id = $1 AND category = $2 AND chain_seq IS NOT NULL
          AND ($3::timestamptz IS NULL OR time >= $3) AND ($4::timestamptz IS NULL OR time < $4)`,
      [tenantId, category, range.from ?? null, range.to ?? null],
    );
    const [row] = rows;
    if (row?.first == null || row.last == null) return undefined;
    return { first: Number(row.first), last: Number(row.last) };
  }

  /** The stored link of the chain's event at `seq` (the anchor of a range that starts after it). */
  async linkAt(pool: Pool, tenantId: string, category: string, seq: number): Promise<string | undefined> {
    const { rows } = await pool.query<{ hash: string }>(
      `SELECT encode(chain_hash, 'hex') AS hash FROM audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq = $3 LIMIT 1`,
      [tenantId, category, seq],
    );
    return rows[0]?.hash;
  }

  /**
   * Up to about `limit` stored events of the chain from sequence number `fromSeq` to `toSeq`, in chain order, after
   * the page that ended with `after`; `more` says whether the chain goes on past the page. Pages end on a whole
   * sequence number: a forged row repeating a number comes with the original, whichever page it falls on. Ordered by
   * the sequence number alone, the index's order: a page reads its own rows, never sorts the rest of the chain. A page
   * also ends once its rows' text reaches `maxBytes`, when given (always one row at least): events may hold 512 KiB
   * each, and a page of 5,000 of them was 2.5 GB in the process walking it (the query API's verifyIntegrity among
   * them). Measuring the rows costs PostgreSQL 20–30 % more per page, so a walk that may fill its own process does not.
   */
  async page(
    pool: Pool,
    chain: { tenantId: string; category: string; fromSeq: number; toSeq: number },
    after: ChainRow | undefined,
    limit: number,
    maxBytes?: number,
  ): Promise<{ rows: ChainRow[]; more: boolean }> {
    const from = after === undefined ? chain.fromSeq : Math.max(chain.fromSeq, after.seq + 1);
    const select = AUDIT_EVENT_SELECT_SQL.replace('SELECT *,', `SELECT *, encode(chain_hash, 'hex') AS chain_hash_hex,`);
    const where = `WHERE tenant_id = $1 AND category = $2 AND chain_seq IS NOT NULL`;
    const pageSql = `${select} ${where} AND chain_seq >= $3 AND chain_seq <= $4 ORDER BY chain_seq LIMIT $5`;
    const values: unknown[] = [chain.tenantId, chain.category, from, chain.toSeq, limit];
    let rows: ChainRecord[];
    let more: boolean;
    if (maxBytes === undefined) {
      rows = (await pool.query<ChainRecord>({ text: pageSql, values, types: SKIP_TIMESTAMPS })).rows;
      more = rows.length === limit;
    } else {
      const { rows: paged } = await pool.query<ChainRecord & ByteBoundedColumns>({
        text: byteBoundedSql(pageSql, 'chain_seq', values.length + 1),
        values: [...values, maxBytes],
        types: SKIP_TIMESTAMPS,
      });
      const read = rowsRead(paged);
      more = paged.length < read || read === limit;
      rows = paged;
    }
    const last = rows.at(-1);
    if (last !== undefined && more) {
      // Every row of the last sequence number (a second row may claim it), so the next page starts after it.
      const rest = await pool.query<ChainRecord>({
        text: `${select} ${where} AND chain_seq = $3`,
        values: [chain.tenantId, chain.category, last.chain_seq],
        types: SKIP_TIMESTAMPS,
      });
      const have = new Set(rows.filter((r) => r.chain_seq === last.chain_seq).map((r) => r.id));
      rows.push(...rest.rows.filter((r) => !have.has(r.id)));
    }
    return { rows: rows.map((r) => ({ seq: Number(r.chain_seq), hash: r.chain_hash_hex, event: fromRecord(r).event })), more };
  }

  /** Events of the tenant with no place in a chain, stored at or after `since`: rows added by someone other than Vigil. */
  async unchained(pool: Pool, tenantId: string, since: Date): Promise<{ count: number; ids: string[] }> {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id::text FROM audit_event WHERE tenant_id = $1 AND chain_seq IS NULL AND time >= $2 ORDER BY time, id LIMIT 11`,
      [tenantId, since],
    );
    return { count: rows.length, ids: rows.slice(0, 10).map((r) => r.id) };
  }

  /** When the tenant's earliest chained event happened (rows before it are older than the chain). */
  async chainStart(pool: Pool, tenantId: string): Promise<Date | undefined> {
    const { rows } = await pool.query<{ t: Date | null }>(
      `SELECT min(time) AS t FROM audit_event WHERE tenant_id = $1 AND chain_seq IS NOT NULL`,
      [tenantId],
    );
    return rows[0]?.t ?? undefined;
  }
}
