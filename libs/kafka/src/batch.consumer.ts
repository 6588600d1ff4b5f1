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

  /** Finishes or abandons the batch in progress (its offsets stay uncommitted) and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    for (const timer of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    this.retries.clear();
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

  /** Moves a partition's position (used by replay hand-over and by tests). */
  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (first === undefined || last === undefined) return;
    const key = `${batch.topic}:${batch.partition}`;
    const isActive = (): boolean => payload.isRunning() && !payload.isStale() && !this.stopping;
    let retry = this.retries.get(key);
    if (retry !== undefined && retry.offset !== first.offset) {
      this.retries.delete(key); // the partition moved (committed, or reassigned elsewhere and back)
      retry = undefined;
    }
    let commitAt: void | bigint;
    try {
      commitAt = await this.handler({
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages,
        heartbeat: () => payload.heartbeat(),
        attempt: retry?.attempts ?? 0,
        isActive,
        commitProgress: async (next) => {
          if (this.options.commit === false || !isActive() || next <= BigInt(first.offset) || next > BigInt(last.offset)) return;
          await payload.commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next.toString() }] }],
          });
        },
      });
    } catch (err) {
      // Stopping or rebalancing: the batch stays uncommitted and is read again by the next owner.
      if (!isActive()) return;
      this.backOff(batch.topic, batch.partition, first.offset, err);
      return; // unresolved: once resumed, the partition is fetched again from the same offset
    }
    this.retries.delete(key);
    payload.resolveOffset(last.offset);
    const end = BigInt(last.offset) + 1n;
    const next = typeof commitAt === 'bigint' && commitAt < end ? commitAt : end;
    if (this.options.commit === false) return;
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next.toString() }] }],
    });
    this.options.onCommitted?.(batch.topic, batch.partition, next);
    await payload.heartbeat();
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
