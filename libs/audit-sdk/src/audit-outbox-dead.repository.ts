import type { EntityManager } from 'typeorm';
import type { AuditEvent } from '@vigil/events';
import { OUTBOX_TABLE } from './audit-outbox.repository';

/** The table of outbox rows moved aside (created by the CreateAuditOutboxDead migration). */
export const OUTBOX_DEAD_TABLE = 'vigil_audit_outbox_dead';
const REASON_MAX_CHARS = 2000;

export interface DeadOutboxRow {
  /** The row's id in the outbox: its place in the insertion order. */
  id: string;
  tenantId: string;
  event: AuditEvent;
  attempts: number;
  reason: string;
  createdAt: Date;
  deadAt: Date;
}

/** Outbox rows the relay gave up on, with the reason: moved aside in the relay's transaction, listed for operators. */
export class AuditOutboxDeadRepository {
  /** Moves one row from the outbox to the dead table, counting `failedAttempts` more attempts; false when it is gone. */
  async moveAside(manager: EntityManager, id: string, reason: string, failedAttempts: number): Promise<boolean> {
    const rows = await manager.query<{ id: string }[]>(
      `WITH moved AS (DELETE FROM ${OUTBOX_TABLE} WHERE id = $1::bigint RETURNING id, tenant_id, event, created_at, attempts)
       INSERT INTO ${OUTBOX_DEAD_TABLE} (id, tenant_id, event, created_at, attempts, reason)
       SELECT id, tenant_id, event, created_at, attempts + $3, $2 FROM moved RETURNING id::text AS id`,
      [id, reason.slice(0, REASON_MAX_CHARS), failedAttempts],
    );
    return rows.length > 0;
  }

  /** The latest dead rows first, at most `limit`, and how many there are. */
  async list(manager: EntityManager, limit: number): Promise<{ rows: DeadOutboxRow[]; total: number }> {
    const rows = await manager.query<DeadOutboxRow[]>(
      `SELECT id::text AS id, tenant_id AS "tenantId", event, attempts, reason, created_at AS "createdAt", dead_at AS "deadAt"
       FROM ${OUTBOX_DEAD_TABLE} ORDER BY dead_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    const [count] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${OUTBOX_DEAD_TABLE}`);
    return { rows, total: count?.n ?? 0 };
  }
}
