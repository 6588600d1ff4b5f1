import type { AuditEvent, EventCodec } from '@vigil/events';
import type {
  AuditBatchHandlerFn,
  BatchOutcome,
  DeadLetterSender,
  DecodedEvent,
  DecodedMessage,
  DecodeResult,
  MessageDecoder,
  ReadonlyOffsetMap,
} from './audit-batch.types';
import type { PartitionBatch } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';
import { ConsumerHostErrorCode, ConsumerHostException } from './consumer-host.exception';
import { classifyFailure, type FailureClass } from './failure-class.mapper';
import { ProgressCommitter } from './progress-commit.util';

export interface AuditBatchProcessorOptions<E extends DecodedEvent = AuditEvent> {
  /** Decodes the batch's message values (`decodeEach(codec)`: EventCodec on this thread). */
  decoder: MessageDecoder<E>;
  /** Where undecodable messages and isolated events go; undefined: nowhere (both are skipped). */
  deadLetters: DeadLetterSender | undefined;
  /**
   * Undecodable messages are skipped rather than dead-lettered (another group letters them); events isolated after a
   * handler failure are still dead-lettered when there is a sender, since only this reader failed on them.
   */
  skipUndecodable?: boolean | undefined;
  handler: AuditBatchHandlerFn<E>;
  /** Exclusive end offsets of a bounded read. */
  until?: ReadonlyOffsetMap | undefined;
  /** Attempts at a batch failing with an error of no known class before its poison event is isolated (default 3). */
  unknownAttempts?: number | undefined;
  /** Messages whose key this refuses are skipped undecoded. */
  acceptKey?: ((key: Buffer | null) => boolean) | undefined;
  /** Told as a batch starts, before decoding, with its first offset inside the bound. */
  onBatchStart?: ((topic: string, partition: number, firstOffset: bigint) => void) | undefined;
  /** Told once the attempt at the batch is over, however it ended (handled, bisected, or failed to be retried), or once the handler released it. */
  onBatchEnd?: ((topic: string, partition: number) => void) | undefined;
  /** Told about every event isolated and dead-lettered after a handler failure (metrics, logs). */
  onIsolated?: (letter: DeadLetter) => void;
  /** See AuditBatchHandlerOptions.fetchWhileDecoding. */
  fetchWhileDecoding?: boolean | undefined;
}

type Messages = readonly PartitionBatch['messages'][number][];

/**
 * The default decoder: EventCodec, one message after another on this thread. A transient failure (the registry away)
 * ends the batch there: every later message gets the same error instead of another request, and the batch is retried.
 * Any other failure is the message's own and the next message is decoded.
 */
export function decodeEach(codec: Pick<EventCodec, 'decode'>): MessageDecoder<AuditEvent> {
  return {
    async decodeAll(values, topic) {
      const results: DecodeResult<AuditEvent>[] = [];
      for (const value of values) {
        try {
          results.push({ event: await codec.decode(value, topic) });
        } catch (error) {
          results.push({ error });
          if (classifyFailure(error).kind !== 'transient') continue;
          while (results.length < values.length) results.push({ error });
          break;
        }
      }
      return results;
    },
  };
}

/**
 * One attempt at a partition batch: bound, decode, call the handler, dead-letter what cannot be stored, once.
 * Every failure is classified (failure-class.mapper.ts): a data error is the event's, so the batch is bisected until
 * the failing event stands alone and that one is dead-lettered; a transient one throws (the batch consumer retries
 * the partition with backoff); an unknown one throws until the batch's attempts reach `unknownAttempts`, then is
 * isolated like a data error. Letters are written after the handler succeeded, just before the commit, and the
 * offsets already lettered are remembered: a retried batch neither writes a letter twice nor hands the handler the
 * lettered events again.
 */
export class AuditBatchProcessor<E extends DecodedEvent = AuditEvent> {
  private readonly lettered = new Map<string, Set<string>>();
  /**
   * Per partition (fetchWhileDecoding): settles once the last batch started is in its handler's hands (released by it,
   * or its attempt done), so the next one, decoded meanwhile, goes to the handler after it; false when that attempt
   * failed first (the next one must then not reach its handler: it would be delivered before the failed one).
   */
  private readonly handedOver = new Map<string, Promise<boolean>>();

  constructor(private readonly options: AuditBatchProcessorOptions<E>) {}

  /** Resolves with the offset the group may commit once the batch is done. */
  async process(batch: PartitionBatch): Promise<bigint> {
    const last = batch.messages[batch.messages.length - 1];
    const end = this.options.until?.get(batch.topic)?.get(batch.partition);
    // A bounded read never commits past its bound: a later read of the same group (rebuild's catch-up) starts there.
    const batchEnd = last === undefined ? 0n : BigInt(last.offset) + 1n;
    const nextOffset = end !== undefined && BigInt(end) < batchEnd ? BigInt(end) : batchEnd;
    const sent = this.sentLetters(batch);
    const inBound = this.inBound(batch);
    this.options.onBatchStart?.(batch.topic, batch.partition, inBound[0] === undefined ? nextOffset : BigInt(inBound[0].offset));
    let ended = false;
    const ending = (): void => {
      if (ended) return;
      ended = true;
      this.options.onBatchEnd?.(batch.topic, batch.partition);
    };
    try {
      return await this.attempt(batch, inBound, sent, nextOffset, ending);
    } finally {
      ending();
    }
  }

  private async attempt(
    batch: PartitionBatch,
    inBound: Messages,
    sent: Set<string>,
    nextOffset: bigint,
    ending: () => void,
  ): Promise<bigint> {
    const letters: DeadLetter[] = [];
    // Only the whole batch, on its first attempt, is handed on ahead: a retried batch is not (so it may be bisected).
    let released = false;
    let handOver = (_handed: boolean): void => undefined;
    let before: Promise<boolean> | undefined;
    if (this.options.fetchWhileDecoding === true && batch.attempt === 0) {
      const key = `${batch.topic}:${batch.partition}`;
      before = this.handedOver.get(key);
      const handed = new Promise<boolean>((resolve) => (handOver = resolve));
      this.handedOver.set(key, handed);
      void handed.then(() => this.handedOver.get(key) === handed && this.handedOver.delete(key));
      released = true;
      batch.release();
    }
    try {
      const next = await this.handle(batch, inBound, sent, nextOffset, letters, released, before, () => {
        ending();
        handOver(true);
      });
      handOver(true);
      return next;
    } catch (err) {
      // Failed before its handler took it (decoding, or the handler itself): the batch after it must wait for its retry.
      handOver(false);
      throw err;
    }
  }

  private async handle(
    batch: PartitionBatch,
    inBound: Messages,
    sent: Set<string>,
    nextOffset: bigint,
    letters: DeadLetter[],
    releasedEarly: boolean,
    before: Promise<boolean> | undefined,
    ending: () => void,
  ): Promise<bigint> {
    const decoded = await this.decode(batch, inBound, sent, letters);
    // Decoded while the partition's batch before it was still on its way to the handler: this one follows it, and not
    // at all if that one failed first (the host marks this one inactive only once that failure has reached it).
    if ((await before) === false)
      throw new ConsumerHostException(ConsumerHostErrorCode.SUPERSEDED, 'the batch before this one failed; it is read again after it');
    const first = inBound[0];
    const progress =
      first === undefined ? undefined : new ProgressCommitter((next) => batch.commitProgress(next), BigInt(first.offset), nextOffset);
    // An undecodable message's letter is written at the batch's end: nothing from it on is committed before.
    const [firstLetter] = letters;
    if (firstLetter !== undefined) progress?.holdAt(BigInt(firstLetter.origin.offset));
    let released = releasedEarly;
    const run = (messages: readonly DecodedMessage<E>[]): Promise<BatchOutcome | void> =>
      this.options.handler({
        topic: batch.topic,
        partition: batch.partition,
        messages,
        read: messages === decoded ? inBound.length : messages.length,
        nextOffset,
        heartbeat: () => batch.heartbeat(),
        isActive: () => batch.isActive(),
        // Bisecting runs subsets whose progress says nothing about the messages between them.
        progress: (next) => {
          if (messages === decoded) progress?.advance(next);
        },
        release: () => {
          if (messages !== decoded || batch.attempt > 0) return;
          // Released ahead of its decoding already (fetchWhileDecoding): the handler has it now, the next may follow.
          if (releasedEarly) return ending();
          if (released) return;
          released = true;
          ending();
          batch.release();
        },
      });
    try {
      letters.push(...((await run(decoded))?.deadLetters ?? []));
    } catch (err) {
      // The batch after this one may be in the handler's hands already: bisecting now would deliver this one's events
      // after it. The partition is read again from this batch instead.
      if (released) throw err;
      letters.push(...(await this.isolate(batch, decoded, this.mustIsolate(batch, err), run)));
    }
    await this.deadLetter(letters, sent);
    return nextOffset;
  }

  /** The failure's class when the batch is to be bisected now; throws it when the batch is to be retried instead. */
  private mustIsolate(batch: PartitionBatch, err: unknown): FailureClass {
    const failure = classifyFailure(err);
    if (!batch.isActive() || failure.kind === 'transient') throw err;
    if (failure.kind === 'unknown' && batch.attempt + 1 < (this.options.unknownAttempts ?? 3)) throw err;
    return failure;
  }

  private async decode(batch: PartitionBatch, inBound: Messages, sent: Set<string>, letters: DeadLetter[]): Promise<DecodedMessage<E>[]> {
    const { acceptKey } = this.options;
    // Dead-lettered by an earlier attempt at this batch, or of a key this reader does not want: never decoded.
    const wanted = inBound.filter((m) => !sent.has(m.offset) && (acceptKey === undefined || acceptKey(m.key)));
    const results = await this.decodeAll(batch, wanted);
    const decoded: DecodedMessage<E>[] = [];
    wanted.forEach((message, i) => {
      const result = results[i];
      if (result !== undefined && 'skipped' in result) return;
      const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      if (result !== undefined && 'event' in result) {
        decoded.push({ event: result.event, origin, key: message.key, value: message.value });
        return;
      }
      // A registry outage is not the message's fault: the batch fails and is retried; an unknown failure is, after the bound.
      const failure = this.mustIsolate(batch, result?.error ?? new Error(`the decoder returned no result for offset ${message.offset}`));
      if (this.options.skipUndecodable === true) return;
      letters.push({ origin, key: message.key, value: message.value, ...this.reasonOf(failure) });
    });
    return decoded;
  }

  /**
   * The decoder's results for the messages. A decoder that fails as a whole (a worker thread that died on one of
   * them) fails the batch like any failure of no known class: it is retried, and once its attempts reach the bound,
   * each message is decoded alone, so only the one that fails it is dead-lettered and the partition moves on.
   */
  private async decodeAll(batch: PartitionBatch, messages: Messages): Promise<DecodeResult<E>[]> {
    const values = messages.map((m) => m.value);
    try {
      return await this.options.decoder.decodeAll(values, batch.topic);
    } catch (err) {
      this.mustIsolate(batch, err);
    }
    const results: DecodeResult<E>[] = [];
    for (const value of values) {
      try {
        results.push(...(await this.options.decoder.decodeAll([value], batch.topic)));
      } catch (error) {
        results.push({ error });
      }
    }
    return results;
  }

  /**
   * Bisects a failing set of events, in offset order, until each failing event stands alone: those are the letters.
   * A transient failure on the way throws (the whole batch is retried; what was stored is stored idempotently).
   */
  private async isolate(
    batch: PartitionBatch,
    messages: readonly DecodedMessage<E>[],
    failure: FailureClass,
    run: (messages: readonly DecodedMessage<E>[]) => Promise<BatchOutcome | void>,
  ): Promise<DeadLetter[]> {
    const [only] = messages;
    if (messages.length <= 1) {
      if (only === undefined) return []; // nothing to blame: the handler failed on no events, the batch moves on
      const letter: DeadLetter = {
        origin: only.origin,
        key: only.key,
        value: only.value,
        eventId: only.event.id,
        ...this.reasonOf(failure),
      };
      this.options.onIsolated?.(letter);
      return [letter];
    }
    const middle = Math.ceil(messages.length / 2);
    const letters: DeadLetter[] = [];
    for (const half of [messages.slice(0, middle), messages.slice(middle)]) {
      try {
        letters.push(...((await run(half))?.deadLetters ?? []));
      } catch (err) {
        const halfFailure = classifyFailure(err);
        if (!batch.isActive() || halfFailure.kind === 'transient') throw err;
        letters.push(...(await this.isolate(batch, half, halfFailure.kind === 'unknown' ? failure : halfFailure, run)));
      }
    }
    return letters;
  }

  private reasonOf(failure: FailureClass): Pick<DeadLetter, 'reason' | 'detail'> {
    if (failure.kind === 'data') return { reason: failure.reason, detail: failure.detail };
    return {
      reason: 'poison',
      detail: `failed ${this.options.unknownAttempts ?? 3} attempts with an unclassified error: ${failure.detail}`,
    };
  }

  private inBound(batch: PartitionBatch): Messages {
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
