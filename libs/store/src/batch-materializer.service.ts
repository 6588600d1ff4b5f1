import type { Pool } from 'pg';
import { EventDecodeException, type AuditEvent, type EventCodec } from '@vigil/events';
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

/** A raw message as the pre-host callers hand it (key and value as read from Kafka). */
interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Turns decoded audit events into rows of the store: skip what is older than the retention, reject what
 * cannot be a row, and insert the rest in one transaction. Shared by the materializer and `vigil rebuild`,
 * so both store exactly alike. Decoding and dead letters belong to the consumer host, not to the store.
 * Throws only for transient causes (database unreachable): the caller retries the batch.
 */
export class BatchMaterializer {
  private readonly codec: EventCodec | undefined;
  private readonly repository: AuditEventRepository;
  private readonly isWithinRetention: (timeMicros: number) => boolean;

  constructor(repository: AuditEventRepository, isWithinRetention: (timeMicros: number) => boolean);
  /** @deprecated For `vigil rebuild` until it reads through the consumer host; the fourth argument must be undefined. */
  constructor(
    codec: EventCodec,
    repository: AuditEventRepository,
    isWithinRetention: (timeMicros: number) => boolean,
    deadLetters: undefined,
  );
  constructor(
    ...args:
      | [AuditEventRepository, (timeMicros: number) => boolean]
      | [EventCodec, AuditEventRepository, (timeMicros: number) => boolean, undefined]
  ) {
    if (args.length === 2) [this.repository, this.isWithinRetention] = args;
    else [this.codec, this.repository, this.isWithinRetention] = args;
  }

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

  /** @deprecated Decodes itself and drops undecodable messages; use the consumer host and store(). */
  async process(pool: Pool, topic: string, partition: number, messages: readonly RawMessage[]): Promise<MaterializedBatch> {
    const events: EventWithOrigin[] = [];
    for (const message of messages) {
      try {
        if (this.codec !== undefined)
          events.push({ event: await this.codec.decode(message.value, topic), origin: { topic, partition, offset: message.offset } });
      } catch (err) {
        if (!(err instanceof EventDecodeException)) throw err;
      }
    }
    return this.store(pool, events);
  }
}
