import type { Pool } from 'pg';
import type { AuditEvent } from '@vigil/events';
import { toRow, type AuditEventRow } from './audit-event.mapper';
import type { AuditEventRepository } from './audit-event.repository';

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

/**
 * Turns decoded audit events into rows of the store: skip what is older than the retention, reject what
 * cannot be a row, and insert the rest in one transaction. Shared by the materializer and `vigil rebuild`,
 * so both store exactly alike. Decoding and dead letters belong to the consumer host, not to the store.
 * A PostgreSQL error is thrown as it is, SQLSTATE included: the consumer host classifies it (failure-class.mapper.ts
 * in libs/kafka), retries a transient one (database unreachable) and bisects the batch on a data one (class 22, 23,
 * 54) until the one event PostgreSQL refuses is found and dead-lettered; the transaction makes each try all or nothing.
 */
export class BatchMaterializer {
  constructor(
    private readonly repository: AuditEventRepository,
    private readonly isWithinRetention: (timeMicros: number) => boolean,
  ) {}

  async store(pool: Pool, events: readonly EventWithOrigin[]): Promise<MaterializedBatch> {
    const rows: AuditEventRow[] = [];
    const rejected: RejectedEvent[] = [];
    const expired: AuditEvent[] = [];
    for (const item of events) {
      if (!this.isWithinRetention(item.event.time)) {
        expired.push(item.event);
        continue;
      }
      try {
        rows.push(toRow(item.event, item.origin));
      } catch (err) {
        rejected.push({ ...item, reason: 'envelope', detail: (err as Error).message });
      }
    }
    const stored = await this.repository.insertBatchInTransaction(pool, rows);
    return { stored, duplicates: rows.length - stored, rejected, expired };
  }
}
