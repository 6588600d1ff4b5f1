import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: readonly KafkaMessage[];
  /** Keeps the group membership alive during long work; call it between slow steps. */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the group rebalanced: the batch will not be committed, so stop working on it. */
  isActive?(): boolean;
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
  retry?: { initialMs?: number; maxMs?: number };
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
 * only after the handler resolved: at-least-once, never ahead of the work. A failing handler is
 * retried in place with exponential backoff (heartbeats keep flowing, the partition keeps its
 * position and order) until it succeeds, the group rebalances, or the consumer stops. Handlers that
 * must not block a partition on a bad message handle it themselves (dead-letter, skip) and resolve.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private stopping = false;
  private readonly pausedTopics = new Set<string>();

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
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const isRunning = (): boolean => payload.isRunning();
    const isStale = (): boolean => payload.isStale();
    if (batch.messages.length === 0) return;
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined) return;
    const initial = this.options.retry?.initialMs ?? 500;
    const max = this.options.retry?.maxMs ?? 30_000;
    let commitAt: void | bigint;
    for (let attempt = 0; ; attempt++) {
      if (!isRunning() || isStale() || this.stopping) return; // not committed: re-delivered to whoever owns it next
      try {
        commitAt = await this.handler({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages,
          heartbeat,
          isActive: () => isRunning() && !isStale() && !this.stopping,
        });
        break;
      } catch (err) {
        // Stopping or rebalancing: the batch stays uncommitted and is read again by the next owner.
        if (!isRunning() || isStale() || this.stopping) return;
        const delay = Math.min(max, initial * 2 ** Math.min(attempt, 16));
        this.logger.warn(
          { topic: batch.topic, partition: batch.partition, attempt: attempt + 1, retryInMs: delay, err: (err as Error).message },
          'batch failed; retrying it in place',
        );
        await this.sleepWithHeartbeat(delay, heartbeat, isRunning);
      }
    }
    payload.resolveOffset(last.offset);
    const end = BigInt(last.offset) + 1n;
    const next = typeof commitAt === 'bigint' && commitAt < end ? commitAt : end;
    if (this.options.commit === false) return;
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next.toString() }] }],
    });
    this.options.onCommitted?.(batch.topic, batch.partition, next);
    await heartbeat();
  }

  private async sleepWithHeartbeat(ms: number, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && isRunning() && !this.stopping) {
      await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
      await heartbeat().catch(() => undefined);
    }
  }
}
