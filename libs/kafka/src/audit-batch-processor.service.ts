import type { Logger } from 'pino';
import { EventDecodeException, type EventCodec } from '@vigil/events';
import type { AuditBatchHandlerFn, DeadLetterSender, DecodedMessage, ReadonlyOffsetMap } from './audit-batch.types';
import type { PartitionBatch } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';
import { classifyFailure, type FailureClassifier } from './failure-class.util';

/** Attempts at a batch whose handler fails for an unknown reason before the batch is split (bisected). */
export const DEFAULT_UNKNOWN_ATTEMPTS = 3;
/** Backoff before the second attempt of such a batch, doubling after. */
export const DEFAULT_UNKNOWN_BACKOFF_MS = 250;
/** A dead letter's detail holds at most this much of the error's message. */
const DETAIL_CHARS = 500;

export interface AuditBatchProcessorOptions {
  codec: Pick<EventCodec, 'decode'>;
  /** Undefined: undecodable messages are skipped. */
  deadLetters: DeadLetterSender | undefined;
  handler: AuditBatchHandlerFn;
  /** Exclusive end offsets of a bounded read. */
  until?: ReadonlyOffsetMap | undefined;
  /** The handler's own failure classes (the store's SQLSTATEs), asked before the defaults (classifyFailure). */
  classify?: FailureClassifier | undefined;
  unknownAttempts?: number;
  unknownBackoffMs?: number;
  logger?: Pick<Logger, 'warn'> | undefined;
}

/**
 * One attempt at a partition batch: bound, decode, dead-letter what cannot be an event, call the handler,
 * dead-letter what the handler gave back. A handler failure is classified (classifyFailure):
 * - transient (database or broker unreachable): thrown, so the batch consumer retries the batch in place;
 * - data (the store refused an event's values): the batch is split in halves, recursively, until the events
 *   at fault are alone; each is dead-lettered with the failure's reason and the rest is handled;
 * - unknown: retried `unknownAttempts` times with backoff, then split like data.
 * So no event can hold its partition for longer than the bounded attempts. The batch consumer retries failed
 * batches in place, so this class remembers which offsets were already dead-lettered: a retry never writes
 * the same letter twice.
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
    const handled = await this.handle(batch, decoded, inBound.length, nextOffset, this.options.unknownAttempts ?? DEFAULT_UNKNOWN_ATTEMPTS);
    await this.deadLetter(handled, sent);
    return nextOffset;
  }

  /** Calls the handler on `messages`; on a data (or persistently unknown) failure, on each half. Returns the letters. */
  private async handle(
    batch: PartitionBatch,
    messages: readonly DecodedMessage[],
    read: number,
    nextOffset: bigint,
    attempts: number,
  ): Promise<DeadLetter[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.options.handler({
          topic: batch.topic,
          partition: batch.partition,
          messages,
          read,
          nextOffset,
          heartbeat: () => batch.heartbeat(),
        });
        return [...(outcome?.deadLetters ?? [])];
      } catch (err) {
        // Stopping or rebalancing: the batch is abandoned uncommitted (read again by its next owner), never split.
        if (batch.isActive?.() === false) throw err;
        const failure = classifyFailure(err, this.options.classify);
        if (failure.class === 'transient') throw err;
        const detail = (err instanceof Error ? err.message : String(err)).slice(0, DETAIL_CHARS);
        if (failure.class === 'unknown' && attempt < attempts) {
          const delay = (this.options.unknownBackoffMs ?? DEFAULT_UNKNOWN_BACKOFF_MS) * 2 ** (attempt - 1);
          this.options.logger?.warn(
            { topic: batch.topic, partition: batch.partition, attempt, retryInMs: delay, err: detail },
            'batch failed for an unknown reason; retrying it before splitting it',
          );
          await new Promise((resolve) => setTimeout(resolve, delay));
          if (batch.isActive?.() === false) throw err;
          await batch.heartbeat().catch(() => undefined);
          continue;
        }
        const [only] = messages;
        if (messages.length === 1 && only !== undefined) {
          const { origin, key, value, event } = only;
          return [{ origin, key, value, reason: failure.reason, detail, eventId: event.id }];
        }
        if (messages.length === 0) throw err; // nothing to blame: the batch is retried like a transient failure
        const half = Math.ceil(messages.length / 2);
        // Each half gets one attempt: the whole was already retried, and a split must stay bounded (log2 n levels).
        const left = await this.handle(batch, messages.slice(0, half), half, nextOffset, 1);
        const right = await this.handle(batch, messages.slice(half), messages.length - half, nextOffset, 1);
        return [...left, ...right];
      }
    }
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
