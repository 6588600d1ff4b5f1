import { EventDecodeException, type EventCodec } from '@vigil/events';
import type { AuditBatchHandlerFn, DeadLetterSender, DecodedMessage, ReadonlyOffsetMap } from './audit-batch.types';
import type { PartitionBatch } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';

export interface AuditBatchProcessorOptions {
  codec: Pick<EventCodec, 'decode'>;
  /** Undefined: undecodable messages are skipped. */
  deadLetters: DeadLetterSender | undefined;
  handler: AuditBatchHandlerFn;
  /** Exclusive end offsets of a bounded read. */
  until?: ReadonlyOffsetMap | undefined;
}

/**
 * One attempt at a partition batch: bound, decode, dead-letter what cannot be an event, call the handler,
 * dead-letter what the handler gave back. Throws when the batch must be retried (handler failure, registry
 * or Kafka unreachable). The batch consumer retries failed batches in place, so this class remembers which
 * offsets were already dead-lettered: a retry never writes the same letter twice.
 */
export class AuditBatchProcessor {
  private readonly lettered = new Map<string, Set<string>>();

  constructor(private readonly options: AuditBatchProcessorOptions) {}

  /** Resolves with the offset the group may commit once the batch is done. */
  async process(batch: PartitionBatch): Promise<bigint> {
    const last = batch.messages[batch.messages.length - 1];
    const end = this.options.until?.get(batch.topic)?.get(batch.partition);
    // A bounded read never commits past its bound: a later read of the same group (rebuild's catch-up) starts there.
    const batchEnd = last === undefined ? 0n : BigInt(last.offset) + 1n;
    const nextOffset = end !== undefined && BigInt(end) < batchEnd ? BigInt(end) : batchEnd;
    const sent = this.sentLetters(batch);
    const inBound = this.inBound(batch);
    const decoded: DecodedMessage[] = [];
    const letters: DeadLetter[] = [];
    for (const message of inBound) {
      const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      try {
        decoded.push({
          event: await this.options.codec.decode(message.value, batch.topic),
          origin,
          key: message.key,
          value: message.value,
        });
      } catch (err) {
        // A registry outage is not the message's fault: the batch fails and is retried in place.
        if (!(err instanceof EventDecodeException)) throw err;
        letters.push({ origin, key: message.key, value: message.value, reason: err.reason, detail: err.message });
      }
    }
    await this.deadLetter(letters, sent);
    const outcome = await this.options.handler({
      topic: batch.topic,
      partition: batch.partition,
      messages: decoded,
      read: inBound.length,
      nextOffset,
      heartbeat: () => batch.heartbeat(),
    });
    await this.deadLetter(outcome?.deadLetters ?? [], sent);
    return nextOffset;
  }

  private inBound(batch: PartitionBatch): PartitionBatch['messages'] {
    if (this.options.until === undefined) return batch.messages;
    const end = this.options.until.get(batch.topic)?.get(batch.partition);
    if (end === undefined) return [];
    const limit = BigInt(end);
    return batch.messages.filter((m) => BigInt(m.offset) < limit);
  }

  /** Offsets of this partition already dead-lettered; those before the batch are forgotten (committed since). */
  private sentLetters(batch: PartitionBatch): Set<string> {
    const key = `${batch.topic}:${batch.partition}`;
    let sent = this.lettered.get(key);
    if (sent === undefined) {
      sent = new Set();
      this.lettered.set(key, sent);
    }
    const first = batch.messages[0];
    if (first !== undefined) for (const offset of sent) if (BigInt(offset) < BigInt(first.offset)) sent.delete(offset);
    return sent;
  }

  private async deadLetter(letters: readonly DeadLetter[], sent: Set<string>): Promise<void> {
    const fresh = letters.filter((l) => !sent.has(l.origin.offset));
    if (fresh.length === 0 || this.options.deadLetters === undefined) return;
    await this.options.deadLetters.send(fresh);
    for (const letter of fresh) sent.add(letter.origin.offset);
  }
}
