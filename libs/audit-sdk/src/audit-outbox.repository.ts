import type { EntityManager } from 'typeorm';
import type { AuditEvent } from '@vigil/events';
import type { AuditEventInput, UntypedAuditEventInput } from './audit-event.input';
import type { AuditPublisher } from './audit.publisher';

/** The outbox table (created by the CreateAuditOutbox migration) and the channel its inserts notify. */
export const OUTBOX_TABLE = 'vigil_audit_outbox';
export const OUTBOX_CHANNEL = 'vigil_audit_outbox';

export interface OutboxRow {
  id: string;
  event: AuditEvent;
  attempts: number;
}

/**
 * Audit events stored in the caller's own PostgreSQL transaction: they exist exactly when the business
 * change they describe committed, and the OutboxRelay publishes them afterwards.
 */
export class AuditOutboxRepository {
  constructor(private readonly publisher: AuditPublisher) {}

  /**
   * Validates and completes the event now (id, time, service, trace) and inserts it through `manager`,
   * so it commits or rolls back with the caller's transaction. Throws EventValidationException.
   */
  async record(manager: EntityManager, input: AuditEventInput | UntypedAuditEventInput): Promise<AuditEvent> {
    const event = this.publisher.prepare(input);
    // NOTIFY inside a transaction is delivered on commit only: a relay wakes exactly when the row is visible.
    await manager.query(
      `WITH inserted AS (INSERT INTO ${OUTBOX_TABLE} (tenant_id, event) VALUES ($1, $2::jsonb) RETURNING id)
       SELECT pg_notify($3, '') FROM inserted`,
      [event.tenantId, JSON.stringify(event), OUTBOX_CHANNEL],
    );
    return event;
  }

  /**
   * Takes the table's transaction-level advisory lock without waiting: false when another relay holds it.
   * The key is the table's oid, so services with their own schema (and tests) do not contend.
   */
  async tryLock(manager: EntityManager): Promise<boolean> {
    const rows = await manager.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(hashtext($1), $2::regclass::oid::int) AS locked`,
      [OUTBOX_TABLE, OUTBOX_TABLE],
    );
    return rows[0]?.locked === true;
  }

  /** Locks and returns the oldest rows, in insertion order (by the bigint column, not its text alias: "10" < "9"). */
  async claim(manager: EntityManager, limit: number): Promise<OutboxRow[]> {
    return manager.query<OutboxRow[]>(
      `SELECT o.id::text AS id, o.event, o.attempts FROM ${OUTBOX_TABLE} o ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  async remove(manager: EntityManager, ids: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async markFailed(manager: EntityManager, ids: readonly string[], error: string): Promise<void> {
    await manager.query(`UPDATE ${OUTBOX_TABLE} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [
      ids,
      error.slice(0, 2000),
    ]);
  }

  /** Rows waiting, for health checks and tests. */
  async pending(manager: EntityManager): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${OUTBOX_TABLE}`);
    return rows[0]?.n ?? 0;
  }
}
