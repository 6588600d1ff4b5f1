import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@vigil/store';
import type { StreamConfig } from './stream-definition.mapper';
import type { SealedSecrets } from './stream-secret.codec';

/** Channel notified (with the stream's id) when a stream is created, changed or deleted: the streams app reloads it. */
export const STREAM_CHANGED_CHANNEL = 'vigil_stream_changed';

export const STREAM_STATES = ['active', 'catching_up', 'failing', 'paused', 'suspended'] as const;
/**
 * active: on the shared path, delivering as events arrive; catching_up: reading from its own checkpoint to rejoin;
 * failing: the SIEM refuses or does not answer, probed with backoff; paused: disabled by the customer;
 * suspended: refused the credentials too many times in a row, waits for new secrets or an enable.
 */
export type StreamState = (typeof STREAM_STATES)[number];

export interface StreamRow {
  id: string;
  tenantId: string;
  name: string;
  type: string;
  enabled: boolean;
  config: StreamConfig;
  secrets: SealedSecrets | undefined;
  /** Names of the secrets set (values never leave the row in clear). */
  version: number;
  suspendedAt: Date | undefined;
  suspendedReason: string | undefined;
  replayFrom: Date | undefined;
  replayRequestedAt: Date | undefined;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
  updatedBy: string;
}

export interface StreamHealth {
  streamId: string;
  state: StreamState;
  reason: string | undefined;
  lagEvents: number;
  lagSeconds: number;
  delivered24h: number;
  deadLetteredTotal: number;
  lastSuccessAt: Date | undefined;
  lastErrorAt: Date | undefined;
  lastError: string | undefined;
  updatedAt: Date;
}

/** Offsets per topic and partition (the next offset a stream delivers). */
export type StreamOffsets = Map<string, Map<number, bigint>>;

interface RawRow {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  enabled: boolean;
  config: StreamConfig;
  secrets: Buffer | null;
  secrets_key_id: string | null;
  version: number;
  suspended_at: Date | null;
  suspended_reason: string | null;
  replay_from: Date | null;
  replay_requested_at: Date | null;
  created_at: Date;
  updated_at: Date;
  created_by: string;
  updated_by: string;
}

function toRow(r: RawRow): StreamRow {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    type: r.type,
    enabled: r.enabled,
    config: r.config,
    secrets: r.secrets === null || r.secrets_key_id === null ? undefined : { keyId: r.secrets_key_id, sealed: r.secrets },
    version: r.version,
    suspendedAt: r.suspended_at ?? undefined,
    suspendedReason: r.suspended_reason ?? undefined,
    replayFrom: r.replay_from ?? undefined,
    replayRequestedAt: r.replay_requested_at ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
  };
}

/** Something that runs a query: the pool, or a client inside a transaction. */
type Queryable = Pick<Pool | PoolClient, 'query'>;

/** The streams tables (migration CreateStreams). Every read and write of a tenant's stream names the tenant. */
export class StreamRepository {
  constructor(private readonly pool: Pool) {}

  /** Runs `work` in one transaction; rolled back if it throws. */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** One stream; `tenantId` undefined only for platform operators. */
  async get(id: string, tenantId: string | undefined, db: Queryable = this.pool, lock = false): Promise<StreamRow | undefined> {
    const rows = await db.query<RawRow>(
      `SELECT * FROM vigil_stream WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, tenantId ?? null],
    );
    const row = rows.rows[0];
    return row === undefined ? undefined : toRow(row);
  }

  async list(tenantId: string | undefined, db: Queryable = this.pool): Promise<StreamRow[]> {
    const rows = await db.query<RawRow>(
      `SELECT * FROM vigil_stream WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY tenant_id, name, id`,
      [tenantId ?? null],
    );
    return rows.rows.map(toRow);
  }

  /** Every stream's version: what the streams app compares on each reload before it reads any stream in full. */
  async versions(): Promise<Map<string, number>> {
    const rows = await this.pool.query<{ id: string; version: number }>(`SELECT id, version FROM vigil_stream`);
    return new Map(rows.rows.map((r) => [r.id, r.version]));
  }

  /** The given streams in full (secrets still sealed). */
  async getMany(ids: readonly string[]): Promise<StreamRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.pool.query<RawRow>(`SELECT * FROM vigil_stream WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids]);
    return rows.rows.map(toRow);
  }

  async countForTenant(tenantId: string, db: Queryable = this.pool): Promise<number> {
    const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM vigil_stream WHERE tenant_id = $1`, [tenantId]);
    return rows.rows[0]?.n ?? 0;
  }

  async insert(
    row: Omit<
      StreamRow,
      'version' | 'createdAt' | 'updatedAt' | 'suspendedAt' | 'suspendedReason' | 'replayFrom' | 'replayRequestedAt' | 'updatedBy'
    >,
    db: Queryable,
  ): Promise<StreamRow> {
    const rows = await db.query<RawRow>(
      `INSERT INTO vigil_stream (id, tenant_id, name, type, enabled, config, secrets, secrets_key_id, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $9) RETURNING *`,
      [
        row.id,
        row.tenantId,
        row.name,
        row.type,
        row.enabled,
        JSON.stringify(row.config),
        row.secrets?.sealed ?? null,
        row.secrets?.keyId ?? null,
        row.createdBy,
      ],
    );
    await notify(db, row.id);
    return toRow(rows.rows[0] as RawRow);
  }

  /** Saves a changed stream; bumps its version (the streams app restarts it) and clears a suspension. */
  async save(row: StreamRow, by: string, db: Queryable): Promise<StreamRow> {
    const rows = await db.query<RawRow>(
      `UPDATE vigil_stream SET name = $2, enabled = $3, config = $4::jsonb, secrets = $5, secrets_key_id = $6, version = version + 1,
         suspended_at = $7, suspended_reason = $8, replay_from = $9, replay_requested_at = $10, updated_at = now(), updated_by = $11
       WHERE id = $1 RETURNING *`,
      [
        row.id,
        row.name,
        row.enabled,
        JSON.stringify(row.config),
        row.secrets?.sealed ?? null,
        row.secrets?.keyId ?? null,
        row.suspendedAt ?? null,
        row.suspendedReason ?? null,
        row.replayFrom ?? null,
        row.replayRequestedAt ?? null,
        by,
      ],
    );
    await notify(db, row.id);
    return toRow(rows.rows[0] as RawRow);
  }

  async delete(id: string, db: Queryable): Promise<void> {
    await db.query(`DELETE FROM vigil_stream WHERE id = $1`, [id]);
    await notify(db, id);
  }

  /** Re-seals one stream's secrets (key rotation) without bumping its version: the clear values do not change. */
  async reseal(id: string, secrets: SealedSecrets, db: Queryable = this.pool): Promise<void> {
    await db.query(`UPDATE vigil_stream SET secrets = $2, secrets_key_id = $3 WHERE id = $1`, [id, secrets.sealed, secrets.keyId]);
  }

  /** Set by the streams app after repeated credential refusals; cleared by any change to the stream. */
  async suspend(id: string, version: number, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE vigil_stream SET suspended_at = now(), suspended_reason = $3 WHERE id = $1 AND version = $2 AND suspended_at IS NULL`,
      [id, version, reason],
    );
  }

  /** The streams app took the replay request: it is not taken again after a restart. */
  async replayTaken(id: string, requestedAt: Date): Promise<void> {
    await this.pool.query(
      `UPDATE vigil_stream SET replay_from = NULL, replay_requested_at = NULL WHERE id = $1 AND replay_requested_at = $2`,
      [id, requestedAt],
    );
  }

  async offsets(id: string): Promise<StreamOffsets> {
    const rows = await this.pool.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, partition, next_offset::text FROM vigil_stream_offset WHERE stream_id = $1`,
      [id],
    );
    const offsets: StreamOffsets = new Map();
    for (const r of rows.rows) {
      const partitions = offsets.get(r.topic) ?? new Map<number, bigint>();
      partitions.set(r.partition, BigInt(r.next_offset));
      offsets.set(r.topic, partitions);
    }
    return offsets;
  }

  /** Streams that hold a checkpoint: they are off the shared path (failing, catching up, paused). */
  async streamsWithOffsets(): Promise<Set<string>> {
    const rows = await this.pool.query<{ id: string }>(`SELECT DISTINCT stream_id AS id FROM vigil_stream_offset`);
    return new Set(rows.rows.map((r) => r.id));
  }

  /** Writes checkpoints of many streams at once (a stream that was deleted meanwhile is skipped). */
  async saveOffsets(entries: readonly { streamId: string; topic: string; partition: number; offset: bigint }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO vigil_stream_offset (stream_id, topic, partition, next_offset)
       SELECT e.s, e.t, e.p, e.o FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[]) AS e(s, t, p, o)
       WHERE EXISTS (SELECT 1 FROM vigil_stream WHERE id = e.s)
       ON CONFLICT (stream_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
      [
        entries.map((e) => e.streamId),
        entries.map((e) => e.topic),
        entries.map((e) => e.partition),
        entries.map((e) => e.offset.toString()),
      ],
    );
  }

  async clearOffsets(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM vigil_stream_offset WHERE stream_id = $1`, [id]);
  }

  async saveHealth(rows: readonly StreamHealth[]): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO vigil_stream_health (stream_id, state, reason, lag_events, lag_seconds, delivered_24h, dead_lettered_total,
         last_success_at, last_error_at, last_error, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::float8[], $6::bigint[], $7::bigint[],
         $8::timestamptz[], $9::timestamptz[], $10::text[], $11::timestamptz[])
         AS h(stream_id, state, reason, lag_events, lag_seconds, delivered_24h, dead_lettered_total, last_success_at, last_error_at, last_error, updated_at)
       WHERE EXISTS (SELECT 1 FROM vigil_stream WHERE id = h.stream_id)
       ON CONFLICT (stream_id) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, lag_events = EXCLUDED.lag_events,
         lag_seconds = EXCLUDED.lag_seconds, delivered_24h = EXCLUDED.delivered_24h, dead_lettered_total = EXCLUDED.dead_lettered_total,
         last_success_at = EXCLUDED.last_success_at, last_error_at = EXCLUDED.last_error_at, last_error = EXCLUDED.last_error,
         updated_at = EXCLUDED.updated_at`,
      [
        rows.map((h) => h.streamId),
        rows.map((h) => h.state),
        rows.map((h) => h.reason ?? null),
        rows.map((h) => Math.round(h.lagEvents)),
        rows.map((h) => h.lagSeconds),
        rows.map((h) => h.delivered24h),
        rows.map((h) => h.deadLetteredTotal),
        rows.map((h) => h.lastSuccessAt ?? null),
        rows.map((h) => h.lastErrorAt ?? null),
        rows.map((h) => h.lastError ?? null),
        rows.map((h) => h.updatedAt),
      ],
    );
  }

  async health(ids: readonly string[]): Promise<Map<string, StreamHealth>> {
    const rows = await this.pool.query<{
      stream_id: string;
      state: StreamState;
      reason: string | null;
      lag_events: string;
      lag_seconds: number;
      delivered_24h: string;
      dead_lettered_total: string;
      last_success_at: Date | null;
      last_error_at: Date | null;
      last_error: string | null;
      updated_at: Date;
    }>(`SELECT * FROM vigil_stream_health WHERE stream_id = ANY($1::uuid[])`, [ids]);
    return new Map(
      rows.rows.map((r) => [
        r.stream_id,
        {
          streamId: r.stream_id,
          state: r.state,
          reason: r.reason ?? undefined,
          lagEvents: Number(r.lag_events),
          lagSeconds: r.lag_seconds,
          delivered24h: Number(r.delivered_24h),
          deadLetteredTotal: Number(r.dead_lettered_total),
          lastSuccessAt: r.last_success_at ?? undefined,
          lastErrorAt: r.last_error_at ?? undefined,
          lastError: r.last_error ?? undefined,
          updatedAt: r.updated_at,
        },
      ]),
    );
  }
}

async function notify(db: Queryable, id: string): Promise<void> {
  // Inside a transaction NOTIFY is delivered on commit only: the app reloads exactly when the change is visible.
  await db.query(`SELECT pg_notify($1, $2)`, [STREAM_CHANGED_CHANNEL, id]);
}
