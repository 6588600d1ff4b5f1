import type { Pool } from 'pg';
import type { CheckpointRecord as IntegrityCheckpoint } from '@vigil/integrity';
import { queryRows, type StoreExecutor } from './audit-event.repository';

/** A checkpoint as stored: a signed head, or the anchor a dropped day left (docs/integrity.md). */
export type StoredCheckpoint = IntegrityCheckpoint;

/** A chain whose head moved since its last signed checkpoint. */
export interface DueHead {
  tenantId: string;
  category: string;
  seq: number;
  hash: string;
}

interface CheckpointRecord {
  tenant_id: string;
  category: string;
  seq: string;
  hash: string;
  kind: 'signed' | 'retention';
  at: Date;
  key_id: string | null;
  signature: string | null;
}

const SELECT = `SELECT tenant_id, category, seq, encode(hash, 'hex') AS hash, kind, at, key_id, signature FROM audit_chain_checkpoint`;

function fromRecord(r: CheckpointRecord): StoredCheckpoint {
  return {
    tenantId: r.tenant_id,
    category: r.category,
    seq: Number(r.seq),
    hash: r.hash,
    kind: r.kind,
    at: r.at.toISOString(),
    keyId: r.key_id,
    signature: r.signature,
  };
}

/** `audit_chain_checkpoint`: written by the materializer's checkpoint job and by retention, read by verify and the API. */
export class ChainCheckpointRepository {
  async insert(db: StoreExecutor, checkpoints: readonly StoredCheckpoint[]): Promise<void> {
    if (checkpoints.length === 0) return;
    const column = <K extends keyof StoredCheckpoint>(key: K): StoredCheckpoint[K][] => checkpoints.map((c) => c[key]);
    await queryRows(
      db,
      `INSERT INTO audit_chain_checkpoint (tenant_id, category, seq, hash, kind, at, key_id, signature)
       SELECT t, c, s, decode(h, 'hex'), k, a, i, g
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
           AS x(t, c, s, h, k, a, i, g)
       ON CONFLICT (tenant_id, category, seq, kind) DO NOTHING`,
      [
        column('tenantId'),
        column('category'),
        column('seq'),
        column('hash'),
        column('kind'),
        column('at'),
        column('keyId'),
        column('signature'),
      ],
    );
  }

  /** Chains whose head is past their last signed checkpoint, and whose last one is older than `before` (or forced). */
  async due(pool: Pool, before: Date, tenantId?: string): Promise<DueHead[]> {
    const { rows } = await pool.query<{ tenant_id: string; category: string; seq: string; hash: string }>(
      `SELECT h.tenant_id, h.category, h.seq, encode(h.hash, 'hex') AS hash
         FROM audit_chain_head h
         LEFT JOIN LATERAL (SELECT max(c.seq) AS seq, max(c.at) AS at FROM audit_chain_checkpoint c
                             WHERE c.tenant_id = h.tenant_id AND c.category = h.category AND c.kind = 'signed') last ON true
        WHERE h.seq > coalesce(last.seq, 0) AND (last.at IS NULL OR last.at < $1) AND ($2::text IS NULL OR h.tenant_id = $2)
        ORDER BY h.tenant_id, h.category`,
      [before, tenantId ?? null],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, category: r.category, seq: Number(r.seq), hash: r.hash }));
  }

  /** A tenant's checkpoints (of one category, taken in [from, to)), oldest place first; all of them without a limit. */
  async list(
    db: StoreExecutor,
    tenantId: string,
    filter: { category?: string | undefined; from?: Date | undefined; to?: Date | undefined; limit?: number } = {},
  ): Promise<StoredCheckpoint[]> {
    const records = await queryRows<CheckpointRecord>(
      db,
      `${SELECT} WHERE tenant_id = $1 AND ($2::text IS NULL OR category = $2)
         AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
       ORDER BY category, seq, kind LIMIT $5`,
      [tenantId, filter.category ?? null, filter.from ?? null, filter.to ?? null, filter.limit ?? null],
    );
    return records.map(fromRecord);
  }
}
