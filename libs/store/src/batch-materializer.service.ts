import type { Pool, PoolClient } from 'pg';
import type { AuditEvent } from '@vigil/events';
import { nextLink } from '@vigil/integrity';
import { toRow, type AuditEventRow } from './audit-event.mapper';
import type { AuditEventRepository } from './audit-event.repository';
import { ChainHeadRepository, chainKey, type ChainHead } from './chain-head.repository';

/** A decoded event and where it was read from (the row keeps topic, partition and offset). */
export interface EventWithOrigin {
  event: AuditEvent;
  origin: { topic: string; partition: number; offset: string };
}

/** An event the store cannot hold (its envelope does not fit a row): the caller dead-letters it. */
export interface RejectedEvent extends EventWithOrigin {
  reason: 'envelope';
  detail: string;
}

/** What one batch became. */
export interface MaterializedBatch {
  stored: number;
  duplicates: number;
  rejected: RejectedEvent[];
  expired: AuditEvent[];
}

/** A row to store, with the event it came from (the chain hashes the event). */
interface Candidate {
  item: EventWithOrigin;
  row: AuditEventRow;
}

/**
 * Turns decoded audit events into rows of the store: skip what is older than the retention, reject what
 * cannot be a row, chain the rest (docs/integrity.md) and insert them in one transaction with their chain heads.
 * Shared by the materializer and `vigil rebuild`, so both store (and chain) exactly alike. Decoding and dead letters
 * belong to the consumer host, not to the store.
 * A PostgreSQL error is thrown as it is, SQLSTATE included: the consumer host classifies it (failure-class.mapper.ts
 * in libs/kafka), retries a transient one (database unreachable) and bisects the batch on a data one (class 22, 23,
 * 54) until the one event PostgreSQL refuses is found and dead-lettered; the transaction makes each try all or nothing.
 *
 * The chain: each tenant's events of one category get consecutive sequence numbers and links in Kafka order. An
 * event at or before its chain head's Kafka offset was chained by an earlier try (a redelivery after a crash or a
 * rebalance) and is not stored again; an event whose id is stored already (a producer's retry published it twice)
 * takes no place in the chain, so the chain holds exactly the rows the store holds.
 */
export class BatchMaterializer {
  private readonly heads = new ChainHeadRepository();

  constructor(
    private readonly repository: AuditEventRepository,
    private readonly isWithinRetention: (timeMicros: number) => boolean,
    /** `chain: false` stores without the chain: only the integrity benchmark's same-run baseline uses it. */
    private readonly options: { chain?: boolean } = {},
  ) {}

  async store(pool: Pool, events: readonly EventWithOrigin[]): Promise<MaterializedBatch> {
    const candidates: Candidate[] = [];
    const rejected: RejectedEvent[] = [];
    const expired: AuditEvent[] = [];
    for (const item of events) {
      if (!this.isWithinRetention(item.event.time)) {
        expired.push(item.event);
        continue;
      }
      try {
        candidates.push({ item, row: toRow(item.event, item.origin) });
      } catch (err) {
        rejected.push({ ...item, reason: 'envelope', detail: (err as Error).message });
      }
    }
    const [first] = candidates;
    if (first === undefined) return { stored: 0, duplicates: 0, rejected, expired };
    if (this.options.chain === false) {
      const stored = await this.repository.insertBatchInTransaction(
        pool,
        candidates.map((c) => c.row),
      );
      return { stored, duplicates: candidates.length - stored, rejected, expired };
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // The row's tenant and category: sanitised as stored (a NUL in a producer's tenant id becomes U+FFFD there).
      const keys = candidates.map(({ row }) => ({ tenantId: row.tenantId, category: row.category }));
      const heads = await this.heads.lock(client, keys, first.item.origin);
      let chained = chain(candidates, heads, new Set());
      await client.query('SAVEPOINT chained');
      let stored = await this.repository.insertBatch(client, chained.rows);
      if (stored < chained.rows.length) {
        // Some ids are stored already (or twice in the batch): chain again without them, so no link is left unstored.
        await client.query('ROLLBACK TO SAVEPOINT chained');
        chained = chain(candidates, heads, await this.present(client, chained.rows));
        stored = await this.repository.insertBatch(client, chained.rows);
      }
      await this.heads.save(client, chained.heads);
      await client.query('COMMIT');
      return { stored, duplicates: candidates.length - stored, rejected, expired };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The `time/id` of the rows the table holds already. */
  private async present(client: PoolClient, rows: readonly AuditEventRow[]): Promise<Set<string>> {
    const { rows: found } = await client.query<{ n: string }>(
      `SELECT k.n FROM unnest($1::timestamptz[], $2::uuid[]) WITH ORDINALITY AS k(t, i, n)
        WHERE EXISTS (SELECT 1 FROM audit_event e WHERE e.time = k.t AND e.id = k.i)`,
      [rows.map((r) => r.time), rows.map((r) => r.id)],
    );
    return new Set(found.map((r) => identityOf(rows[Number(r.n) - 1] as AuditEventRow)));
  }
}

/**
 * Gives each candidate its place and link, in order, from the locked heads; leaves out what the heads show chained
 * already (a redelivery), the rows in `drop` (stored already), and a second copy of a (time, id) in the batch.
 */
function chain(
  candidates: readonly Candidate[],
  locked: ReadonlyMap<string, ChainHead>,
  drop: ReadonlySet<string>,
): { rows: AuditEventRow[]; heads: ChainHead[] } {
  const heads = new Map<string, ChainHead>();
  const seen = new Set<string>();
  const rows: AuditEventRow[] = [];
  for (const { item, row } of candidates) {
    const key = chainKey(row.tenantId, row.category);
    const head = heads.get(key) ?? locked.get(key);
    if (head === undefined) throw new Error(`no chain head locked for ${key}`);
    const { topic, partition, offset } = item.origin;
    if (head.topic === topic && head.partition === partition && BigInt(offset) <= head.offset) continue;
    const identity = identityOf(row);
    if (seen.has(identity) || drop.has(identity)) continue;
    seen.add(identity);
    const hash = nextLink(Buffer.from(head.hash, 'hex'), item.event).toString('hex');
    const seq = head.seq + 1;
    rows.push({ ...row, chainSeq: String(seq), chainHash: hash });
    heads.set(key, { ...head, seq, hash, topic, partition, offset: BigInt(offset) });
  }
  return { rows, heads: [...heads.values()] };
}

/** What the table's key says about a row: its time and id. */
function identityOf(row: AuditEventRow): string {
  return `${row.time}/${row.id}`;
}
