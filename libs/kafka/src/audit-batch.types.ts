import type { AuditEvent } from '@vigil/events';
import type { DeadLetter } from './dead-letter.producer';

/** Offsets per topic and partition, e.g. where a replay ends (exclusive) or starts. */
/** Offset per topic and partition, read-only: what a handler is given to start from or stop at. */
export type ReadonlyOffsetMap = ReadonlyMap<string, ReadonlyMap<number, string>>;

/** Where a message was read from. */
export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * One audit event as decoded by the host, with the bytes it came from (kept for dead letters and redrives). `E` is
 * the decoded event as the group's decoder hands it over: the AuditEvent itself by default, or what a decoder made of
 * it elsewhere (a connector's worker threads hand back the record already in the SIEM's format).
 */
export interface DecodedMessage<E extends DecodedEvent = AuditEvent> {
  event: E;
  origin: MessageOrigin;
  key: Buffer | null;
  value: Buffer | null;
}

/** What every decoded event carries: its id, named in the dead letter of an event isolated after a handler failure. */
export interface DecodedEvent {
  id: string;
}

/** Per message value, what the decoder made of it: the event, or the error decoding threw (classified like any failure). */
/**
 * A message's decoding: its event, its failure, or `skipped` (the decoder's own filters leave it out, e.g. a replay's
 * events before its start): counted as read and committed, never handed to the handler.
 */
export type DecodeResult<E> = { event: E } | { error: unknown } | { skipped: true };

/**
 * How the host turns a partition batch's message values into events: EventCodec one message at a time on this thread
 * (`decodeEach`, the default), or a batch at a time somewhere else. Results come back in the values' order.
 */
export interface MessageDecoder<E> {
  decodeAll(values: readonly (Buffer | null)[], topic: string): Promise<DecodeResult<E>[]>;
}

/** A partition batch after decoding: what a handler receives. */
export interface DecodedBatch<E extends DecodedEvent = AuditEvent> {
  topic: string;
  partition: number;
  /** The decodable events inside the bound, in offset order; undecodable ones were dead-lettered (or skipped) already. */
  messages: readonly DecodedMessage<E>[];
  /** Messages of the batch inside the bound, decodable or not (progress of bounded reads). */
  read: number;
  /** The offset the group commits once the handler resolved. */
  nextOffset: bigint;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /**
   * Says that every message before `nextOffset` is done (delivered, stored) while the rest of the batch is still in
   * hand: the host commits it early, throttled and never past a message whose dead letter is not written yet, so a
   * stop or a crash re-reads less. Optional to call; a handler that returns dead letters of its own must not report
   * progress past the first of them.
   */
  progress(nextOffset: bigint): void;
  /**
   * Says the events are in the handler's hands, in order (a connector's records are in its batcher): the host may
   * fetch and decode this partition's next batch and hand it over while this one is still being delivered. The
   * commit still waits for the handler, and for the batch before it. Once released, a failure of the handler is not
   * bisected: the partition is read again from the batch's first offset, and the batch after it is not committed.
   * Optional; a handler that never calls it gets the next batch of a partition only after this one is committed.
   */
  release(): void;
  /**
   * False once the batch's work will not be committed: the consumer stops, the partition was revoked, or (after a
   * release) a batch of the partition before it failed. A store that queues work checks it before it writes, so a
   * partition's batches are never stored out of order.
   */
  isActive(): boolean;
}

/** What a handler may hand back: messages it could not use, dead-lettered by the host before the commit. */
export interface BatchOutcome {
  deadLetters?: readonly DeadLetter[];
}

export type AuditBatchHandlerFn<E extends DecodedEvent = AuditEvent> = (batch: DecodedBatch<E>) => Promise<BatchOutcome | void>;

/** Where letters go; `DeadLetterProducer` in production, a fake in unit tests. */
export interface DeadLetterSender {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

/** How one consumer group of the host reads. */
export interface AuditBatchHandlerOptions {
  group: string;
  topics: readonly string[];
  /** Where a group without committed offsets starts (default: the earliest retained offset). */
  fromBeginning?: boolean;
  /**
   * With `fromBeginning: false`, when "latest" applies. `first-start`: once, when the group has committed nothing on
   * its topics; the host then commits every partition's end before it joins, so no restart skips an event, and a
   * partition or topic added later starts at its beginning (a connector). `every-start` (default): at every start,
   * for a partition without a commit (a per-process group deleted on stop, such as the live tail's).
   */
  latestApplies?: 'first-start' | 'every-start';
  /** Partitions handled at once (default 3). */
  concurrency?: number;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /**
   * Backoff between attempts at a failed batch (default 500 ms doubling to 30 s; transient failures retry for as
   * long as they last), and how many attempts a failure of no known class gets before its event is isolated and
   * dead-lettered (`unknownAttempts`, default 3).
   */
  retry?: { initialMs?: number; maxMs?: number; unknownAttempts?: number };
  /**
   * Undecodable messages: `dead-letter` (default) writes each to audit.dlq once with its coded reason;
   * `skip` drops them (a reader whose messages another group already dead-letters, e.g. the live tail). Events the
   * handler fails on are isolated and dead-lettered either way when the host has a dead-letter sender.
   */
  undecodable?: 'dead-letter' | 'skip';
  /**
   * Messages whose key this refuses are skipped before they are decoded (counted as read, never handed over): a
   * reader that wants some tenants only (the key is the tenant id) pays no Avro decode for the others.
   */
  acceptKey?: (key: Buffer | null) => boolean;
  /**
   * Called as a partition batch starts, before anything of it is decoded, with its first offset inside the bound: a
   * reader whose `acceptKey` changes over time learns which partitions are being read with the current answer.
   */
  onBatchStart?: (topic: string, partition: number, firstOffset: bigint) => void;
  /** Called once the attempt at a batch started by onBatchStart is over, however it ended, or once it was released. */
  onBatchEnd?: (topic: string, partition: number) => void;
  /**
   * Fetch a partition's next batch while this one is still being decoded, for a decoder off the main thread (the
   * connectors' encode threads), which would otherwise wait for every fetch. A batch's first attempt is then
   * released (`DecodedBatch.release`) as its decoding starts; the handler still gets the partition's batches one
   * after another, each once the one before it was released by the handler or done.
   */
  fetchWhileDecoding?: boolean;
  /**
   * A bounded read: exclusive end offsets (messages at or past them, and partitions not listed, are skipped),
   * or `high-watermark` to fix them at the topics' ends when the consumer starts. `finished` resolves once
   * every partition was committed up to its end.
   */
  until?: ReadonlyOffsetMap | 'high-watermark';
  /** Measure the group's lag every this many ms (off when unset). */
  lagIntervalMs?: number;
  /** Delete the consumer group when the consumer stops (per-process groups such as the live tail's). */
  deleteGroupOnStop?: boolean;
}
