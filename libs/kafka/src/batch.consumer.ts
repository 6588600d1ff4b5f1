import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { classifyFailure } from './failure-class.mapper';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: readonly KafkaMessage[];
  /** Keeps the group membership alive during long work; call it between slow steps. */
  heartbeat(): Promise<void>;
  /** Earlier failed attempts at this batch's first offset (0 on the first). */
  attempt: number;
  /** False once the consumer stops or the partition was revoked: work in hand will not be committed. */
  isActive(): boolean;
  /**
   * Commits that every message before `nextOffset` is done while the rest of the batch is still being worked on, so a
   * stop or a crash re-reads less. Nothing is committed once the batch is no longer active, or on a non-committing read.
   */
  commitProgress(nextOffset: bigint): Promise<void>;
  /**
   * The batch's messages are in the handler's hands, in order: the consumer may fetch the partition's next batch and
   * hand it over while this one is still being worked on (a connector decodes the next batch while it delivers this
   * one). This batch is still committed only once its handler resolved, and after every batch before it; if it fails,
   * the partition is read again from its first offset and the batches handed over after it are not committed. At
   * most one batch per partition is fetched ahead. Optional: without it, the next batch waits for this one's commit.
   */
  release(): void;
}

/** A partition whose batch failed and waits for its next attempt (health and metrics show these). */
export interface RetryingPartition {
  topic: string;
  partition: number;
  /** The offset the partition is stuck at. */
  offset: string;
  attempts: number;
  /** When the first failed attempt at this offset ended. */
  since: Date;
  /** The failure's class and reason (classifyFailure), e.g. `transient:database-unavailable`. */
  failure: string;
  detail: string;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group without committed offsets starts (default: the earliest retained offset). */
  fromBeginning?: boolean;
  /** Partitions processed at once (default 3). */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /** Backoff between attempts of a batch whose handler failed (default 500 ms doubling to 30 s). */
  retry?: { initialMs?: number | undefined; maxMs?: number | undefined };
  /** false: never commit (a per-process group that rereads its topic from the start on every run). Default true. */
  commit?: boolean;
  /** Called once a batch's offsets are committed, with the next offset of its partition (bounded reads end on it). */
  onCommitted?: (topic: string, partition: number, nextOffset: bigint) => void;
}

/**
 * Handles one partition batch. It may resolve with the offset to commit when that is below the batch's end (a bounded
 * read never commits past its bound, so a later read of the same group starts there); otherwise the whole batch is committed.
 */
export type BatchHandler = (batch: PartitionBatch) => Promise<void | bigint>;

/** How a handler's attempt at a batch ended (never a rejection, so a chain of them never breaks). */
type HandlerResult = { ok: true; commitAt: void | bigint } | { ok: false; err: unknown };

/** A partition's released batches, committed in order. */
interface PartitionLine {
  /** Bumped when a released batch failed (the partition is read again from it): the work after it commits nothing. */
  generation: number;
  /** The sequence number of the partition's next batch in this generation. */
  nextSeq: number;
  /**
   * The first released batch of this generation whose handler failed: every batch after it is inactive at once (a
   * store queue drops them before they are stored out of order), before the failure is settled in commit order.
   */
  failedSeq: number | undefined;
  /** First offsets of the released batches not settled yet, oldest first. */
  pending: bigint[];
  /** The first offset of a released batch that failed, until a commit moves past it (its partition re-reads from it). */
  failedAt: bigint | undefined;
  /** Settles once the partition's last released batch is committed, failed or abandoned; undefined when none is pending. */
  tail: Promise<void> | undefined;
}

/**
 * A kafkajs consumer that hands whole partition batches to a handler and commits the batch's offsets
 * only after the handler resolved: at-least-once, never ahead of the work. A failing batch is retried
 * with exponential backoff by pausing only its partition and reading it again from the same offset
 * once the delay is over: kafkajs fetches again only when every batch of the last fetch returned, so
 * waiting inside the handler would hold every other partition too. Handlers that must not block a
 * partition on a bad message handle it themselves (the consumer host isolates and dead-letters it).
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private stopping = false;
  private readonly pausedTopics = new Set<string>();
  /** Failed attempts per partition (`topic:partition`), kept while the partition stays at the same offset. */
  private readonly retries = new Map<string, RetryingPartition>();
  private readonly backoffTimers = new Map<string, NodeJS.Timeout>();
  private readonly lines = new Map<string, PartitionLine>();
  /** Bumped on every join of the group: work released before a rebalance commits nothing (the new owner reads it again). */
  private epoch = 0;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    private readonly handler: BatchHandler,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      maxWaitTimeInMs: 250,
      retry: { retries: 10 },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => this.rejoined(payload.memberAssignment));
  }

  get events(): Consumer['events'] {
    return this.consumer.events;
  }

  /** The underlying consumer's instrumentation, for lag and health reporting. */
  on: Consumer['on'] = (...args) => this.consumer.on(...args);

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /**
   * Finishes or abandons the batch in progress (its offsets stay uncommitted) and leaves the group. Released batches
   * still being worked on are not waited for: they commit nothing and are read again by the next owner.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    for (const timer of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    this.retries.clear();
    this.lines.clear();
    await this.consumer.disconnect();
    this.running = false;
  }

  /** Stops fetching (memory stays bounded while a sink is down); the group membership stays. */
  pause(): void {
    for (const topic of this.options.topics) this.pausedTopics.add(topic);
    this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.pausedTopics.clear();
    this.consumer.resume(this.options.topics.map((topic) => ({ topic })));
    // Partitions still backing off stay paused until their timers fire.
    for (const key of this.backoffTimers.keys()) {
      const retry = this.retries.get(key);
      if (retry !== undefined) this.consumer.pause([{ topic: retry.topic, partitions: [retry.partition] }]);
    }
  }

  /** Partitions whose batch failed and waits for another attempt, oldest first. */
  get retrying(): RetryingPartition[] {
    return [...this.retries.values()].sort((a, b) => a.since.getTime() - b.since.getTime());
  }

  get paused(): boolean {
    return this.pausedTopics.size > 0;
  }

  /** Moves a partition's position (used by replay hand-over and by tests); work released before it commits nothing. */
  seek(topic: string, partition: number, offset: string): void {
    this.restartLine(this.lineOf(`${topic}:${partition}`));
    this.consumer.seek({ topic, partition, offset });
  }

  /**
   * After a (re)join: released work of before commits nothing (the epoch). A partition that is still ours and had
   * released work not committed is read again from the oldest of it: kafkajs would fetch it from an offset resolved for
   * that work (a release resolves it before the work is done), and the work itself is dropped.
   */
  private rejoined(assignment: Record<string, number[]>): void {
    this.epoch++;
    for (const [key, line] of this.lines) {
      const floor = this.floorOf(line);
      if (floor === undefined) continue;
      const cut = key.lastIndexOf(':');
      const topic = key.slice(0, cut);
      const partition = Number(key.slice(cut + 1));
      if (assignment[topic]?.includes(partition) === true) this.consumer.seek({ topic, partition, offset: floor.toString() });
    }
    this.lines.clear();
  }

  /** The lowest offset of a line not known to be committed by this consumer, if it released any work not committed. */
  private floorOf(line: PartitionLine): bigint | undefined {
    const [oldest] = line.pending;
    if (oldest === undefined) return line.failedAt;
    return line.failedAt !== undefined && line.failedAt < oldest ? line.failedAt : oldest;
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (first === undefined || last === undefined) return;
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    const line = this.lineOf(key);
    const { generation } = line;
    const seq = line.nextSeq++;
    const epoch = this.epoch;
    const isActive = (): boolean =>
      payload.isRunning() &&
      !payload.isStale() &&
      !this.stopping &&
      line.generation === generation &&
      this.epoch === epoch &&
      (line.failedSeq === undefined || seq <= line.failedSeq);
    let retry = this.retries.get(key);
    if (retry !== undefined && retry.offset !== first.offset) {
      this.retries.delete(key); // the partition moved (committed, or reassigned elsewhere and back)
      retry = undefined;
    }
    // The partition's batch before this one, if it was released and is not committed yet.
    const previous = line.tail;
    let headOfLine = previous === undefined;
    void previous?.then(() => (headOfLine = true));
    let isReleased = false;
    let release: () => void = () => undefined;
    const released = new Promise<'released'>(
      (resolve) =>
        (release = () => {
          isReleased = true;
          resolve('released');
        }),
    );
    const commit = async (next: bigint): Promise<void> => {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next.toString() }] }] });
    };
    const work: Promise<HandlerResult> = this.handler({
      topic,
      partition,
      messages: batch.messages,
      heartbeat: () => payload.heartbeat(),
      attempt: retry?.attempts ?? 0,
      isActive,
      commitProgress: async (next) => {
        // Never past a batch before this one that is still being worked on.
        if (this.options.commit === false || !headOfLine || !isActive() || next <= BigInt(first.offset) || next > BigInt(last.offset))
          return;
        await commit(next);
      },
      release,
    }).then(
      (commitAt) => ({ ok: true, commitAt }),
      (err: unknown) => ({ ok: false, err }),
    );
    // A released batch that fails makes the batches after it inactive now, not once the batches before it are settled.
    void work.then((result) => {
      if (!result.ok && isReleased && isActive()) line.failedSeq = seq;
    });
    if ((await Promise.race([work, released])) === 'released') {
      // The next fetch of this partition starts after this batch; the batch is committed once it and the one before
      // are done. An inactive batch resolves nothing: the partition is read again from a seek or its commit.
      if (!isActive()) {
        await previous;
        return;
      }
      payload.resolveOffset(last.offset);
      const firstOffset = BigInt(first.offset);
      line.pending.push(firstOffset);
      const tail: Promise<void> = (async () => {
        await previous;
        await this.settleReleased(await work, line, { topic, partition, first: first.offset, last: last.offset }, isActive, commit);
      })()
        .catch((err: unknown) => this.logger.error({ topic, partition, err: (err as Error).message }, 'a released batch did not settle'))
        .finally(() => {
          line.pending.splice(line.pending.indexOf(firstOffset), 1);
          if (line.tail === tail) line.tail = undefined;
        });
      line.tail = tail;
      // At most one batch ahead: kafkajs fetches this partition again once this returns.
      await previous;
      return;
    }
    await previous;
    const result = await work;
    if (!result.ok) {
      // Stopping or rebalancing (or a batch before it failed): the batch stays uncommitted and is read again.
      if (!isActive()) return;
      this.backOff(topic, partition, first.offset, result.err);
      return; // unresolved: once resumed, the partition is fetched again from the same offset
    }
    if (!isActive()) return;
    this.retries.delete(key);
    payload.resolveOffset(last.offset);
    if (this.options.commit === false) return;
    await this.commitDone(line, { topic, partition, last: last.offset }, result.commitAt, commit);
    await payload.heartbeat();
  }

  /**
   * A released batch whose handler is done, after every batch before it: committed, or, when it failed (or its
   * commit did), its partition is read again from its first offset after a backoff and the batch after it, already
   * in hand, is not committed (its generation is over).
   */
  private async settleReleased(
    result: HandlerResult,
    line: PartitionLine,
    at: { topic: string; partition: number; first: string; last: string },
    isActive: () => boolean,
    commit: (next: bigint) => Promise<void>,
  ): Promise<void> {
    const { topic, partition, first } = at;
    if (!isActive()) return;
    let failure = result.ok ? undefined : result.err;
    if (result.ok) {
      this.retries.delete(`${topic}:${partition}`);
      if (this.options.commit === false) return;
      try {
        await this.commitDone(line, at, result.commitAt, commit);
        return;
      } catch (err) {
        if (!isActive()) return;
        failure = err;
      }
    }
    this.restartLine(line);
    const failed = BigInt(first);
    if (line.failedAt === undefined || failed < line.failedAt) line.failedAt = failed;
    this.consumer.seek({ topic, partition, offset: first });
    this.backOff(topic, partition, first, failure);
  }

  /**
   * Commits a batch that is done, at its end or at the handler's bound if that is below it, and tells onCommitted; a
   * commit past a failed batch's offset ends the line's hold on it.
   */
  private async commitDone(
    line: PartitionLine,
    at: { topic: string; partition: number; last: string },
    commitAt: void | bigint,
    commit: (next: bigint) => Promise<void>,
  ): Promise<void> {
    const end = BigInt(at.last) + 1n;
    const next = typeof commitAt === 'bigint' && commitAt < end ? commitAt : end;
    await commit(next);
    if (line.failedAt !== undefined && next > line.failedAt) line.failedAt = undefined;
    this.options.onCommitted?.(at.topic, at.partition, next);
  }

  /** A new generation of a partition's line: the work handed over in the last one commits nothing. */
  private restartLine(line: PartitionLine): void {
    line.generation++;
    line.nextSeq = 0;
    line.failedSeq = undefined;
  }

  private lineOf(key: string): PartitionLine {
    let line = this.lines.get(key);
    if (line === undefined) {
      line = { generation: 0, nextSeq: 0, failedSeq: undefined, pending: [], failedAt: undefined, tail: undefined };
      this.lines.set(key, line);
    }
    return line;
  }

  /** Pauses only this partition for the attempt's backoff; the others keep being fetched. */
  private backOff(topic: string, partition: number, offset: string, err: unknown): void {
    const key = `${topic}:${partition}`;
    const failure = classifyFailure(err);
    const previous = this.retries.get(key);
    const retry: RetryingPartition = {
      topic,
      partition,
      offset,
      attempts: (previous?.attempts ?? 0) + 1,
      since: previous?.since ?? new Date(),
      failure: failure.kind === 'unknown' ? 'unknown' : `${failure.kind}:${failure.reason}`,
      detail: failure.detail,
    };
    this.retries.set(key, retry);
    const initial = this.options.retry?.initialMs ?? 500;
    const max = this.options.retry?.maxMs ?? 30_000;
    const delay = Math.min(max, initial * 2 ** Math.min(retry.attempts - 1, 16));
    this.logger.warn(
      { topic, partition, offset, attempt: retry.attempts, retryInMs: delay, failure: retry.failure, err: failure.detail },
      'batch failed; its partition retries after a backoff, the others go on',
    );
    if (!this.pausedTopics.has(topic)) this.consumer.pause([{ topic, partitions: [partition] }]);
    clearTimeout(this.backoffTimers.get(key));
    const timer = setTimeout(() => {
      this.backoffTimers.delete(key);
      if (this.stopping || this.pausedTopics.has(topic)) return;
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }, delay);
    timer.unref();
    this.backoffTimers.set(key, timer);
  }
}
