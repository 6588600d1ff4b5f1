import type { KafkaMessage } from 'kafkajs';
import type { Pool } from 'pg';
import { EventDecodeException, type AuditEvent, type EventCodec } from '@vigil/events';
import type { DeadLetter, DeadLetterProducer } from '@vigil/kafka';
import { toRow, type AuditEventRow } from './audit-event.mapper';
import type { AuditEventRepository } from './audit-event.repository';

/** What one partition batch became. */
export interface MaterializedBatch {
  stored: number;
  duplicates: number;
  deadLettered: DeadLetter[];
  expired: AuditEvent[];
}

/**
 * Turns a partition batch of audit messages into rows of the store: decode through the registry,
 * dead-letter what cannot be an event, skip what is older than the retention, and insert the rest in
 * one transaction. Shared by the materializer and `vigil rebuild`, so both store exactly alike.
 * Throws only for transient causes (registry or database unreachable): the caller retries the batch.
 */
export class BatchMaterializer {
  constructor(
    private readonly codec: EventCodec,
    private readonly repository: AuditEventRepository,
    private readonly isWithinRetention: (timeMicros: number) => boolean,
    private readonly deadLetters: DeadLetterProducer | undefined,
  ) {}

  async process(pool: Pool, topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<MaterializedBatch> {
    const rows: AuditEventRow[] = [];
    const letters: DeadLetter[] = [];
    const expired: AuditEvent[] = [];
    for (const message of messages) {
      const origin = { topic, partition, offset: message.offset };
      let event: AuditEvent;
      try {
        event = await this.codec.decode(message.value, topic);
      } catch (err) {
        if (!(err instanceof EventDecodeException)) throw err;
        letters.push({ origin, key: message.key, value: message.value, reason: err.reason, detail: err.message });
        continue;
      }
      if (!this.isWithinRetention(event.time)) {
        expired.push(event);
        continue;
      }
      try {
        rows.push(toRow(event, origin));
      } catch (err) {
        letters.push({
          origin,
          key: message.key,
          value: message.value,
          reason: 'envelope',
          detail: (err as Error).message,
          eventId: event.id,
        });
      }
    }
    // Dead letters first: once the rows commit, the offsets move past the poison messages too.
    if (letters.length > 0 && this.deadLetters !== undefined) await this.deadLetters.send(letters);
    const stored = await this.repository.insertBatchInTransaction(pool, rows);
    return { stored, duplicates: rows.length - stored, deadLettered: letters, expired };
  }
}
