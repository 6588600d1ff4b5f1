import type { Pool, PoolClient } from 'pg';
import type { AuditEvent } from '@vigil/events';
import { chainFormText, linkHexOfText } from '@vigil/integrity';
import { toRow, type AuditEventRow } from './audit-event.mapper';
import { insertedTotal, isUniqueViolation, partitionKey, type AuditEventRepository } from './audit-event.repository';
import { ChainHeadRepository, chainKey, type ChainHead } from './chain-head.repository';
import { inTransaction } from './pg-pool.factory';

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
  /** Which of the transaction's batches it belongs to. */
  batch: number;
  /** The event's chain form text (chainFormText), written before the transaction; empty without the chain. */
  form: string;
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

  /** One batch in a transaction of its own. */
  async store(pool: Pool, events: readonly EventWithOrigin[]): Promise<MaterializedBatch> {
    const [result] = await this.storeAll(pool, [events]);
    if (result === undefined) throw new Error('storeAll answered no figures for its one batch');
    return result;
  }

  /**
   * Several partition batches in one transaction (the materializer's group commit, GroupCommitQueue in group-commit.util.ts): all of
   * them or none, with each batch's own figures. With more than one batch, each must hold the events of one
   * partition and no two the same partition, since the inserted rows are counted per partition.
   */
  async storeAll(pool: Pool, batches: readonly (readonly EventWithOrigin[])[]): Promise<MaterializedBatch[]> {
    const results: MaterializedBatch[] = batches.map(() => ({ stored: 0, duplicates: 0, rejected: [], expired: [] }));
    const candidates: Candidate[] = [];
    const counted = new Array<number>(batches.length).fill(0);
    batches.forEach((events, batch) => {
      const result = results[batch] as MaterializedBatch;
      for (const item of events) {
        if (!this.isWithinRetention(item.event.time)) {
          result.expired.push(item.event);
          continue;
        }
        try {
          const row = toRow(item.event, item.origin);
          // The chain form is the largest part of the work per event (a fifth of the materializer's CPU): written
          // here, outside the transaction, so the chains' locks are held for the hashing only.
          candidates.push({ item, row, batch, form: this.options.chain === false ? '' : chainFormText(item.event) });
          counted[batch] = (counted[batch] ?? 0) + 1;
        } catch (err) {
          result.rejected.push({ ...item, reason: 'envelope', detail: (err as Error).message });
        }
      }
    });
    if (candidates.length === 0) return results;
    const partitions = partitionsOf(batches);
    const inserted = await inTransaction(pool, (client) =>
      this.options.chain === false ? this.insert(client, candidates) : this.chainAndInsert(client, candidates),
    );
    results.forEach((result, batch) => {
      const partition = partitions[batch];
      // A single batch may hold any partitions' events: all that was inserted is its.
      const stored = batches.length === 1 ? insertedTotal(inserted) : partition === undefined ? 0 : (inserted.get(partition) ?? 0);
      result.stored = stored;
      result.duplicates = (counted[batch] ?? 0) - stored;
    });
    return results;
  }

  /** Without the chain (the integrity benchmark's baseline): the same two paths as with it. */
  private async insert(client: PoolClient, candidates: readonly Candidate[]): Promise<Map<string, number>> {
    const rows = candidates.map((c) => c.row);
    return (await this.insertNew(client, rows)) ?? this.repository.insertBatchByPartition(client, rows);
  }

  /**
   * The rows through the fast path (COPY straight into the table) behind a SAVEPOINT; undefined, rolled back to it,
   * when a row is stored already (a redelivery, a producer's retry), so the caller takes the path that skips them.
   */
  private async insertNew(client: PoolClient, rows: readonly AuditEventRow[]): Promise<Map<string, number> | undefined> {
    await client.query('SAVEPOINT fresh');
    try {
      return await this.repository.insertNewBatchByPartition(client, rows);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT fresh');
      return undefined;
    }
  }

  /** Locks the chains' heads, links the candidates and inserts them, then moves the heads; inside the transaction. */
  private async chainAndInsert(client: PoolClient, candidates: readonly Candidate[]): Promise<Map<string, number>> {
    // The row's tenant and category: sanitised as stored (a NUL in a producer's tenant id becomes U+FFFD there).
    const keys = candidates.map(({ row, item }) => ({
      tenantId: row.tenantId,
      category: row.category,
      topic: item.origin.topic,
      partition: item.origin.partition,
    }));
    const heads = await this.heads.lock(client, keys);
    let chained = chain(candidates, heads, new Map());
    let inserted = await this.insertNew(client, chained.rows);
    if (inserted === undefined) {
      // Some ids are stored already: chain again without them, so no link is left unstored, and skip any stored since.
      chained = chain(candidates, heads, await this.present(client, chained.rows));
      inserted = await this.repository.insertBatchByPartition(client, chained.rows);
    }
    await this.heads.save(client, chained.heads);
    return inserted;
  }

  /** The `time/id` of the rows the table holds already, with the tenant each is stored under. */
  private async present(client: PoolClient, rows: readonly AuditEventRow[]): Promise<Map<string, string>> {
    const { rows: found } = await client.query<{ n: string; tenant_id: string }>(
      `SELECT k.n, e.tenant_id FROM unnest($1::timestamptz[], $2::uuid[]) WITH ORDINALITY AS k(t, i, n)
         JOIN audit_event e ON e.time = k.t AND e.id = k.i`,
      [rows.map((r) => r.time), rows.map((r) => r.id)],
    );
    return new Map(found.map((r) => [identityOf(rows[Number(r.n) - 1] as AuditEventRow), r.tenant_id]));
  }
}

/**
 * An event whose (time, id) another tenant's event holds already (in the store, or earlier in the same batch): two
 * producers, or one producer writing for two tenants, chose the same id. It is shaped as PostgreSQL's unique violation
 * (SQLSTATE 23505), which it is, so the consumer host classes it as the event's fault, isolates it by splitting its
 * batch, and dead-letters it (`store-integrity`) rather than counting it a duplicate and leaving it out of the store.
 */
export class EventIdConflictError extends Error {
  readonly code = '23505';
  readonly severity = 'ERROR';

  constructor(id: string, time: string) {
    super(`event ${id} at ${time}: another tenant's event is stored under the same time and id; ids must be unique across tenants`);
    this.name = 'EventIdConflictError';
  }
}

/**
 * Gives each candidate its place and link, in order, from the locked heads; leaves out what the heads show chained
 * already (a redelivery), the rows `stored` already, and a second copy of a (time, id) in the batch; throws
 * EventIdConflictError when that (time, id) is another tenant's.
 */
function chain(
  candidates: readonly Candidate[],
  locked: ReadonlyMap<string, ChainHead>,
  stored: ReadonlyMap<string, string>,
): { rows: AuditEventRow[]; heads: ChainHead[] } {
  const heads = new Map<string, ChainHead>();
  const seen = new Map<string, string>();
  const rows: AuditEventRow[] = [];
  for (const { item, row, form } of candidates) {
    const key = chainKey(row.tenantId, row.category);
    // This pass's own copy of the chain's head once it has linked an event of the chain, else the locked head.
    const moved = heads.get(key);
    const head = moved ?? locked.get(key);
    if (head === undefined) throw new Error(`no chain head locked for ${key}`);
    const { topic, partition, offset } = item.origin;
    const at = BigInt(offset);
    if (head.topic === topic && head.partition === partition && at <= head.offset) continue;
    const identity = identityOf(row);
    const holder = seen.get(identity) ?? stored.get(identity);
    if (holder !== undefined) {
      // The same event again (a redelivery, a producer's retry) is skipped; another tenant's event under the same
      // (time, id) is not the same event, and is never dropped as if it were.
      if (holder !== row.tenantId) throw new EventIdConflictError(row.id, row.time);
      continue;
    }
    seen.set(identity, row.tenantId);
    const hash = linkHexOfText(head.hash, form);
    const seq = head.seq + 1;
    // In place rather than a copy of the row's 35 fields: a second pass (after a redelivered row) sets every row it
    // keeps again, and a row it drops is never inserted.
    row.chainSeq = String(seq);
    row.chainHash = hash;
    rows.push(row);
    // The locked head is copied once per batch and chain; this pass's own copy moves in place, event after event.
    if (moved === undefined) heads.set(key, { ...head, seq, hash, topic, partition, offset: at });
    else {
      moved.seq = seq;
      moved.hash = hash;
      moved.topic = topic;
      moved.partition = partition;
      moved.offset = at;
    }
  }
  return { rows, heads: [...heads.values()] };
}

/**
 * Each batch's partition key (`partitionKey`; undefined for a batch without events), when there are several batches;
 * throws when one holds events of two partitions or two hold the same partition, since their figures could not be
 * told apart. One batch needs no key.
 */
function partitionsOf(batches: readonly (readonly EventWithOrigin[])[]): (string | undefined)[] {
  if (batches.length <= 1) return [undefined];
  const seen = new Set<string>();
  return batches.map((events) => {
    const keys = new Set(events.map(({ origin }) => partitionKey(origin.topic, origin.partition)));
    const [key] = keys;
    if (keys.size > 1) throw new Error(`storeAll: a batch holds events of ${keys.size} partitions`);
    if (key === undefined) return undefined;
    if (seen.has(key)) throw new Error(`storeAll: two batches of partition ${key} in one transaction`);
    seen.add(key);
    return key;
  });
}

/** What the table's key says about a row: its time and id. */
function identityOf(row: AuditEventRow): string {
  return `${row.time}/${row.id}`;
}
