import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { DAILY_ROLLUP_TABLE, HOURLY_ROLLUP_TABLE, PENDING_ROLLUP_TABLE } from './audit-event-rollup.util';
import { Clock } from '@vigil/common';
import type { StoreOptions } from './store.config';
import { signCheckpoint, type SigningKey } from '@vigil/integrity';
import { ChainCheckpointRepository, type StoredCheckpoint } from './chain-checkpoint.repository';
import { SEARCH_BLOB_SQL } from './event-sql.mapper';

const DAY_MS = 86_400_000;
const PARENT = 'audit_event';
/** Catches what has no daily partition: events beyond the window created ahead (and, if a consumer let them through, too-old ones). */
export const DEFAULT_PARTITION = 'audit_event_default';
const DAILY = /^audit_event_p(\d{4})(\d{2})(\d{2})$/;
const LOCK_KEY = '.audit_event.partitions';
/** DDL waits this long for a lock (an analyst query, an insert batch) before giving up until the next run. */
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/**
 * A free-text index built CONCURRENTLY waits for every transaction older than it in the database (an export may run for
 * minutes) before it is valid; past this it gives up, and the next run builds it again.
 */
const DEFAULT_INDEX_LOCK_TIMEOUT_MS = 600_000;
/** Why a build gave up, by SQLSTATE, for the log. */
const BUILD_GIVEN_UP: Record<string, string> = {
  '55P03': 'lock not granted in time',
  '57014': 'cancelled',
  '40P01': 'deadlock broken by PostgreSQL',
  '42P01': 'partition dropped meanwhile',
};
/** Taken with pg_try_advisory_lock by `indexEndedDays`, apart from LOCK_KEY so that partitions are kept meanwhile. */
const INDEX_LOCK_KEY = '.audit_event.free-text-indexes';

export interface PartitionInfo {
  name: string;
  from: Date;
  to: Date;
}

export interface PartitionMaintenanceResult {
  created: string[];
  dropped: string[];
  /** Rows moved out of the default partition into a partition created for their day. */
  movedFromDefault: number;
  /** Rows of the default partition deleted by the retention rule (dated, or stored, before the retention start). */
  sweptFromDefault?: number;
  /** Partitions to create or drop left for the next run because a lock was not granted in time. */
  deferred: string[];
}

/** What `indexEndedDays` did: the partitions whose free-text index it built, and those left for the next run. */
export interface FreeTextIndexResult {
  built: string[];
  deferred: string[];
  /** Another instance (or run) holds the indexing lock: nothing was done. */
  busy?: true;
}

/** The free-text index of a daily partition (docs/store.md, "Free text"): `audit_event_p20261129_search_trgm_idx`. */
export function freeTextIndexName(table: string): string {
  return `${table}_search_trgm_idx`;
}

/**
 * Creates the free-text index of one table (a daily partition whose day has ended): GIN `gin_trgm_ops` over
 * `SEARCH_BLOB_SQL`, the expression the `text` filter asks for (`buildEventWhere`). The operator class is named in
 * pg_trgm's schema (`trgmSchema`, looked up when not given).
 */
export async function createFreeTextIndex(
  db: Pick<PoolClient, 'query'>,
  table: string,
  concurrently = false,
  trgmSchema?: string,
): Promise<void> {
  const schema = trgmSchema ?? (await pgTrgmSchema(db));
  await db.query(
    `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS ${freeTextIndexName(table)} ON ${table} USING gin (${SEARCH_BLOB_SQL} ${schema}.gin_trgm_ops)`,
  );
}

/** The schema pg_trgm is in, quoted, wherever migration 1796400000000-AddFreeTextIndex found or installed it. */
async function pgTrgmSchema(db: Pick<PoolClient, 'query'>): Promise<string> {
  const { rows } = await db.query<{ schema: string }>(
    `SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
  );
  const schema = rows[0]?.schema;
  if (schema === undefined) throw new Error('pg_trgm is not installed (migration 1796400000000-AddFreeTextIndex installs it)');
  return schema;
}

export function startOfUtcDay(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / DAY_MS) * DAY_MS);
}

/** `audit_event_pYYYYMMDD`, the partition holding the UTC day that starts at `day`. */
export function partitionName(day: Date): string {
  return `${PARENT}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

function dayOf(name: string): Date | null {
  const match = DAILY.exec(name);
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`) : null;
}

const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';
/** Retention anchors written per statement (one per chain with rows in the day dropped). */
const ANCHOR_BATCH = 5_000;
/** Rows of the default partition deleted per transaction by the retention sweep. */
const SWEEP_BATCH = 10_000;

/**
 * Keeps one `audit_event` partition per UTC day from the retention start to N days ahead, and drops whole
 * partitions once they fall out of retention (detach, then drop: never a row-by-row DELETE). Idempotent, and
 * serialised across instances by an advisory lock per schema.
 */
export class PartitionManager {
  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    /**
     * `anchorSigner`: the first key of VIGIL_CHAIN_SIGNING_KEYS, which signs each retention anchor (its kind included),
     * so `vigil verify` with the public keys trusts no anchor someone with only the database wrote.
     */
    /**
     * `indexAtCreation: false`: a past day's partition is created without its free-text index, for a loader (`vigil
     * rebuild`) that fills past days and then calls `indexEndedDays` once; `indexConcurrently: false` for such a
     * loader, which writes nothing while it builds: a plain build costs half as much and waits for no one.
     */
    private readonly options: StoreOptions & {
      lockTimeoutMs?: number;
      indexLockTimeoutMs?: number;
      indexAtCreation?: boolean;
      indexConcurrently?: boolean;
      anchorSigner?: SigningKey | undefined;
    },
    private readonly logger?: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /** The backend building a free-text index now, cancelled by `stopIndexing`. */
  private indexingBackend: number | undefined;
  private stopped = false;

  /** The first instant kept: midnight UTC `retentionDays` before today. */
  retentionStart(): Date {
    return new Date(startOfUtcDay(this.clock.now()).getTime() - this.options.retentionDays * DAY_MS);
  }

  /** False for an event whose day is already out of retention: the consumer counts, logs and skips it. */
  isWithinRetention(timeMicros: number): boolean {
    return timeMicros >= this.retentionStart().getTime() * 1000;
  }

  /** The days that should have a partition now, oldest first. */
  wantedDays(): Date[] {
    const first = this.retentionStart().getTime();
    const last = startOfUtcDay(this.clock.now()).getTime() + this.options.partitionsAheadDays * DAY_MS;
    const days: Date[] = [];
    for (let t = first; t <= last; t += DAY_MS) days.push(new Date(t));
    return days;
  }

  /** Daily partitions of `audit_event` in the current schema, oldest first (the default partition is not listed). */
  async listPartitions(db: Pick<PoolClient, 'query'> = this.pool): Promise<PartitionInfo[]> {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
      [PARENT],
    );
    return rows
      .map(({ name }) => ({ name, day: dayOf(name) }))
      .filter((p): p is { name: string; day: Date } => p.day !== null)
      .map(({ name, day }) => ({ name, from: day, to: new Date(day.getTime() + DAY_MS) }))
      .sort((a, b) => a.from.getTime() - b.from.getTime());
  }

  /** Creates the missing partitions, then drops the expired ones. Run at start-up and hourly. */
  maintain(): Promise<PartitionMaintenanceResult> {
    return this.locked((client) => this.maintainLocked(client));
  }

  /**
   * Builds the free-text index of every daily partition whose day has ended and that has none (docs/store.md, "Free
   * text"), newest day first. The day being written has none: each stored event would add about 33 trigram entries to
   * it, a third of what PostgreSQL spends storing an event (docs/performance.md); one build after the day ends takes
   * that work off the ingest path. An empty partition's index is created in a transaction; a populated one's
   * CONCURRENTLY, so that late events of that day are stored meanwhile. A build that failed or was cancelled leaves an
   * invalid index, which the next run drops and builds again; a day that failed is logged and left for the next run,
   * and the older days still get theirs. Run after `maintain`, hourly.
   *
   * It holds a lock of its own, not `maintain`'s: a build may take minutes, and partitions must still be created and
   * dropped meanwhile. The lock is only tried: while another instance builds, this run does nothing (`busy`).
   */
  indexEndedDays(): Promise<FreeTextIndexResult> {
    return this.withClient(async (client) => {
      const { rows } = await client.query<{ got: boolean; pid: number }>(
        `SELECT pg_try_advisory_lock(hashtext(current_schema() || $1)) AS got, pg_backend_pid() AS pid`,
        [INDEX_LOCK_KEY],
      );
      if (rows[0]?.got !== true) return { built: [], deferred: [], busy: true };
      // Known before the first build, so a stop at any moment reaches it.
      this.indexingBackend = rows[0].pid;
      try {
        return await this.indexEndedDaysLocked(client);
      } finally {
        this.indexingBackend = undefined;
        await client.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || $1))`, [INDEX_LOCK_KEY]);
      }
    });
  }

  /**
   * Cancels a free-text index build in progress and starts no other (at shutdown); the next start builds it again.
   * The cancel goes only to the session still holding the indexing lock (a session back in the pool may be running
   * someone else's statement), and is sent again while the run lasts: a cancel that reaches the session between two
   * statements is ignored.
   */
  async stopIndexing(): Promise<void> {
    this.stopped = true;
    for (let attempt = 0; attempt < 20; attempt++) {
      const backend = this.indexingBackend;
      if (backend === undefined) return;
      await this.pool
        .query(
          `SELECT pg_cancel_backend(l.pid) FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid = $1
              AND l.objid = (hashtext(current_schema() || $2)::bigint & 4294967295)::oid`,
          [backend, INDEX_LOCK_KEY],
        )
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs `work` holding the schema's partition maintenance lock, so instances and runs never overlap. */
  private locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query(`SELECT pg_advisory_lock(hashtext(current_schema() || $1))`, [LOCK_KEY]);
      try {
        return await work(client);
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || $1))`, [LOCK_KEY]);
      }
    });
  }

  /**
   * Runs `work` on a client of its own. A client that failed (a cancel that landed between two statements, say) is
   * discarded, which also ends its session and so its advisory locks.
   */
  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async indexEndedDaysLocked(client: PoolClient): Promise<FreeTextIndexResult> {
    const result: FreeTextIndexResult = { built: [], deferred: [] };
    const now = this.clock.now().getTime();
    // A day past retention is about to be dropped: building its index would only hold up the drop.
    const kept = () => this.retentionStart().getTime();
    const ended = (await this.listPartitions(client)).filter((p) => p.to.getTime() <= now && p.from.getTime() >= kept()).reverse();
    if (ended.length === 0) return result;
    const trgmSchema = await pgTrgmSchema(client);
    const { rows } = await client.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indexrelid IN (SELECT to_regclass(n) FROM unnest($1::text[]) n)`,
      [ended.map((p) => freeTextIndexName(p.name))],
    );
    const valid = new Map(rows.map((r) => [r.name, r.valid]));
    for (const { name, from } of ended) {
      const state = valid.get(freeTextIndexName(name));
      if (state === true || from.getTime() < kept()) continue;
      const started = Date.now();
      const built = !this.stopped && (await this.buildFreeTextIndex(client, name, state === false, trgmSchema));
      (built ? result.built : result.deferred).push(name);
      if (built) this.logger?.info({ partition: name, ms: Date.now() - started }, 'free-text index built');
    }
    return result;
  }

  /**
   * False when it gave up: a lock not granted in time, `stopIndexing`, a deadlock PostgreSQL broke, the partition
   * dropped meanwhile, or another error of the statement (logged). The next run builds it. A lost connection is
   * thrown: the run ends there.
   */
  private async buildFreeTextIndex(client: PoolClient, name: string, invalid: boolean, trgmSchema: string): Promise<boolean> {
    const index = freeTextIndexName(name);
    let concurrently = false;
    try {
      const { rows } = await client.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${name}) AS found`);
      if (rows[0]?.found !== true || this.options.indexConcurrently === false) {
        await this.inTransaction(client, async () => {
          if (invalid) await client.query(`DROP INDEX IF EXISTS ${index}`);
          await createFreeTextIndex(client, name, false, trgmSchema);
        });
        return true;
      }
      // CONCURRENTLY cannot run inside a transaction: the session's lock_timeout bounds each of its waits.
      concurrently = true;
      await client.query(`SET lock_timeout = ${Math.trunc(this.options.indexLockTimeoutMs ?? DEFAULT_INDEX_LOCK_TIMEOUT_MS)}`);
      if (invalid && !this.stopped) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
      if (this.stopped) return false;
      await createFreeTextIndex(client, name, true, trgmSchema);
      return true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // No SQLSTATE (the socket), a connection exception (08) or the server shutting down (57P01-57P03): not this day's.
      if (typeof code !== 'string' || code.startsWith('08') || /^57P0[1-3]$/.test(code)) throw err;
      const reason = BUILD_GIVEN_UP[code];
      if (reason !== undefined) this.logger?.warn({ partition: name, reason }, 'free-text index build deferred');
      else this.logger?.warn({ partition: name, reason: `error ${code}`, err }, 'free-text index build failed; deferred');
      return false;
    } finally {
      if (concurrently) await client.query('RESET lock_timeout');
    }
  }

  private async maintainLocked(client: PoolClient): Promise<PartitionMaintenanceResult> {
    const result: PartitionMaintenanceResult = { created: [], dropped: [], movedFromDefault: 0, deferred: [] };
    const existing = new Set((await this.listPartitions(client)).map((p) => p.name));
    for (const day of this.wantedDays()) {
      const name = partitionName(day);
      if (existing.has(name)) continue;
      const moved = await this.unlessLockTimeout(name, () => this.create(client, day));
      if (moved === undefined) {
        result.deferred.push(name);
        continue;
      }
      result.created.push(name);
      result.movedFromDefault += moved;
    }
    const cutoff = this.retentionStart().getTime();
    for (const partition of await this.listPartitions(client)) {
      if (partition.to.getTime() > cutoff) continue;
      const dropped = await this.unlessLockTimeout(partition.name, () => this.drop(client, partition.name));
      (dropped ? result.dropped : result.deferred).push(partition.name);
    }
    const swept = await this.unlessLockTimeout(DEFAULT_PARTITION, () => this.sweepDefault(client, new Date(cutoff)));
    if (swept === undefined) result.deferred.push(DEFAULT_PARTITION);
    else if (swept > 0) result.sweptFromDefault = swept;
    const expiredRollupRows = await this.expireRollups(client, new Date(cutoff));
    if (expiredRollupRows > 0) this.logger?.info({ expiredRollupRows }, 'expired rollup rows deleted');
    if (result.created.length + result.dropped.length + result.deferred.length > 0)
      this.logger?.info(result, 'audit_event partitions maintained');
    return result;
  }

  /**
   * Creates the day's table and attaches it (ATTACH needs a weaker lock on the parent than CREATE ... PARTITION OF).
   * Rows of that day already in the default partition move into it, in the same transaction, so none is lost.
   */
  private async create(client: PoolClient, day: Date): Promise<number> {
    const name = partitionName(day);
    const from = day.toISOString();
    const to = new Date(day.getTime() + DAY_MS).toISOString();
    return this.inTransaction(client, async () => {
      // Locked first so no event for this day slips into the default partition between the move and the attach.
      await client.query(`LOCK TABLE ${DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE`);
      await client.query(`CREATE TABLE ${name} (LIKE ${PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      const moved = await this.moveFromDefault(client, name, from, to);
      await client.query(`ALTER TABLE ${PARENT} ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
      // A day that has ended (a new store's past days) gets its free-text index now, while it holds few rows if any.
      if (this.options.indexAtCreation !== false && day.getTime() + DAY_MS <= this.clock.now().getTime())
        await createFreeTextIndex(client, name);
      return moved;
    });
  }

  /** The only DELETE of events in the store, and it moves rows rather than removing them; issued only when there is a row to move. */
  private async moveFromDefault(client: PoolClient, name: string, from: string, to: string): Promise<number> {
    const range = [from, to];
    const { rows } = await client.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION} WHERE time >= $1 AND time < $2) AS found`,
      range,
    );
    if (!rows[0]?.found) return 0;
    const moved = await client.query(
      `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE time >= $1 AND time < $2 RETURNING *) INSERT INTO ${name} SELECT * FROM moved`,
      range,
    );
    return moved.rowCount ?? 0;
  }

  /**
   * The retention rule for the default partition, which is never dropped: its rows dated before the retention start
   * (stored before their day's partition existed), or stored before it (dated beyond the partitions made ahead, e.g. in
   * year 9999, so their day never comes), are deleted, SWEEP_BATCH rows per transaction so a large sweep never holds
   * the table long. Nothing is sent when there is nothing to sweep.
   */
  private async sweepDefault(client: PoolClient, cutoff: Date): Promise<number> {
    const expired = `${DEFAULT_PARTITION} WHERE time < $1 OR ingested_at < $1`;
    const { rows } = await client.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${expired}) AS found`, [cutoff]);
    if (rows[0]?.found !== true) return 0;
    await this.writeAnchors(client, DEFAULT_PARTITION, '(time < $1 OR ingested_at < $1) AND chain_seq IS NOT NULL', [cutoff]);
    await client.query(PRUNE_CHECKPOINTS_SQL);
    let swept = 0;
    for (;;) {
      const deleted = await this.inTransaction(client, async () => {
        const result = await client.query(
          `DELETE FROM ${DEFAULT_PARTITION} WHERE ctid IN (SELECT ctid FROM ${expired} LIMIT ${SWEEP_BATCH})`,
          [cutoff],
        );
        return result.rowCount ?? 0;
      });
      swept += deleted;
      if (deleted < SWEEP_BATCH) break;
    }
    this.logger?.info({ swept, partition: DEFAULT_PARTITION }, 'expired rows of the default partition deleted');
    return swept;
  }

  /**
   * Deletes the rollup rows older than the retention start (midnight, so whole hours and days). A DELETE rather
   * than dropped partitions: the rollups are small derived tables, and this runs hourly on a day's rows at most.
   */
  private async expireRollups(client: PoolClient, cutoff: Date): Promise<number> {
    // The pending counts first: a fold in progress holds the rows it moves, so this waits for it, and the DELETEs of
    // the rollups after it remove what it wrote. Folded later, a late event's expired count would bring its hour back.
    const pending = await client.query(`DELETE FROM ${PENDING_ROLLUP_TABLE} WHERE hour < $1`, [cutoff]);
    const hourly = await client.query(`DELETE FROM ${HOURLY_ROLLUP_TABLE} WHERE hour < $1`, [cutoff]);
    const daily = await client.query(`DELETE FROM ${DAILY_ROLLUP_TABLE} WHERE day < $1`, [cutoff]);
    return (hourly.rowCount ?? 0) + (daily.rowCount ?? 0) + (pending.rowCount ?? 0);
  }

  /** Detaches then drops a whole partition. */
  private async drop(client: PoolClient, name: string): Promise<true> {
    await this.inTransaction(client, async () => {
      await this.writeAnchors(client, name, 'chain_seq IS NOT NULL');
      await client.query(PRUNE_CHECKPOINTS_SQL);
      await client.query(`ALTER TABLE ${PARENT} DETACH PARTITION ${name}`);
      await client.query(`DROP TABLE ${name}`);
    });
    return true;
  }

  /**
   * The retention anchors of the rows about to go (docs/integrity.md, "Retention"): for each chain with rows among
   * them, the highest place among those rows with its link (kind `retention`), signed when there is a signing key.
   */
  private async writeAnchors(client: PoolClient, table: string, where: string, params: unknown[] = []): Promise<void> {
    const { rows } = await client.query<{ tenant_id: string; category: string; seq: string; hash: string }>(
      `SELECT DISTINCT ON (tenant_id, category) tenant_id, category, chain_seq AS seq, encode(chain_hash, 'hex') AS hash
         FROM ${table} WHERE ${where}
        ORDER BY tenant_id, category, chain_seq DESC`,
      params,
    );
    const at = this.clock.now().toISOString();
    const signer = this.options.anchorSigner;
    const anchors: StoredCheckpoint[] = rows.map((r) => {
      const anchor = { tenantId: r.tenant_id, category: r.category, seq: Number(r.seq), hash: r.hash, at };
      const signed = signer === undefined ? undefined : signCheckpoint(anchor, signer, 'retention');
      return { ...anchor, kind: 'retention', keyId: signed?.keyId ?? null, signature: signed?.signature ?? null };
    });
    const checkpoints = new ChainCheckpointRepository();
    for (let i = 0; i < anchors.length; i += ANCHOR_BATCH) await checkpoints.insert(client, anchors.slice(i, i + ANCHOR_BATCH));
  }

  /** Undefined when a lock was not granted in time: a long query holds the table, and the next run retries. */
  private async unlessLockTimeout<T>(partition: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // A deadlock PostgreSQL broke (a drop against a free-text index build on the same day) waits for the next run too.
      if (code !== LOCK_NOT_AVAILABLE && code !== DEADLOCK_DETECTED) throw err;
      this.logger?.warn({ partition }, 'partition change deferred: lock not granted in time');
      return undefined;
    }
  }

  private async inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = ${Math.trunc(this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)}`);
      const value = await work();
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/**
 * Checkpoints below a chain's latest retention anchor are of events no longer stored: the walk starts at the anchor,
 * so they are deleted with the day (the SIEMs keep their copies). The table stays about a day's checkpoints a chain.
 */
const PRUNE_CHECKPOINTS_SQL = `
  DELETE FROM audit_chain_checkpoint c
   USING (SELECT tenant_id, category, max(seq) AS seq FROM audit_chain_checkpoint WHERE kind = 'retention' GROUP BY 1, 2) a
   WHERE c.tenant_id = a.tenant_id AND c.category = a.category AND c.seq < a.seq`;
