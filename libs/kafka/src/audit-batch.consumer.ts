import type { Logger } from 'pino';
import type { Clock } from '@vigil/common';
import type { AuditEvent, EventCodec } from '@vigil/events';
import { AuditBatchProcessor, decodeEach } from './audit-batch-processor.service';
import type {
  AuditBatchHandlerFn,
  AuditBatchHandlerOptions,
  DeadLetterSender,
  DecodedEvent,
  MessageDecoder,
  ReadonlyOffsetMap,
} from './audit-batch.types';
import { BatchConsumer, type RetryingPartition } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';
import { ConsumerHostErrorCode, ConsumerHostException } from './consumer-host.exception';
import type { KafkaClient } from './kafka.client';
import { KafkaAdminService } from './kafka-admin.service';
import type { StartFrom } from './kafka-offsets.util';

export interface AuditBatchConsumerDeps<E extends DecodedEvent = AuditEvent> {
  kafka: KafkaClient;
  /** EventCodec, decoding on this thread (`decodeEach`), or a decoder of whole batches (a connector's worker threads). */
  codec: Pick<EventCodec, 'decode'> | MessageDecoder<E>;
  /**
   * Required unless the options say `undecodable: 'skip'`; with `skip`, still where events isolated after handler
   * failures go (without it, nowhere: a reader whose events someone else keeps, such as the live tail).
   */
  deadLetters?: DeadLetterSender | undefined;
  clock: Clock;
  logger: Logger;
  /** Told about every letter once it is written (the host's metrics): decode failures and isolated events alike. */
  onDeadLettered?: (letters: readonly DeadLetter[]) => void;
}

/** A group's lag: messages between its committed offsets and the topics' ends, and when that was measured. */
export interface GroupLag {
  messages: number;
  measuredAt: Date;
}

/**
 * The consumer host for one group: reads partition batches (BatchConsumer: commit only after the work, retry
 * in place), decodes them into audit events, dead-letters undecodable ones once, hands the rest to the handler,
 * and owns the group's lifecycle, pause/resume, lag and bounded reads. The Nest transport runs one per
 * `@AuditBatchHandler`; one-off reads (replay, rebuild, redrive) construct one directly.
 */
export class AuditBatchConsumer<E extends DecodedEvent = AuditEvent> {
  /** Resolves once every partition of a bounded read was committed up to its end (never for an unbounded one). */
  readonly finished: Promise<void>;
  private readonly consumer: BatchConsumer;
  private processor: AuditBatchProcessor<E> | undefined;
  private readonly remaining = new Map<string, bigint>();
  private finish: () => void = () => undefined;
  private isJoined = false;
  private joinWaiters: (() => void)[] = [];
  private readonly admin: KafkaAdminService;
  private lagTimer: NodeJS.Timeout | undefined;
  private lagRun: Promise<void> | undefined;
  private lastLag: GroupLag | undefined;
  private readonly lagListeners: ((lag: GroupLag) => void)[] = [];

  constructor(
    readonly options: AuditBatchHandlerOptions,
    private readonly handler: AuditBatchHandlerFn<E>,
    private readonly deps: AuditBatchConsumerDeps<E>,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    // Offsets, watermarks and lag come from the one admin of libs/kafka, as they do for the CLI's operations.
    this.admin = new KafkaAdminService(deps.kafka, { brokers: [], clientId: options.group });
    this.consumer = new BatchConsumer(
      deps.kafka,
      {
        groupId: options.group,
        topics: options.topics,
        // Latest once: the host commits the ends itself at the first start; every partition without a commit after that
        // (added later, or a topic created later) is read from its beginning.
        fromBeginning: this.latestOnce || (options.fromBeginning ?? true),
        partitionsConsumedConcurrently: options.concurrency ?? 3,
        ...(options.sessionTimeoutMs !== undefined && { sessionTimeoutMs: options.sessionTimeoutMs }),
        ...(options.maxBytesPerPartition !== undefined && { maxBytesPerPartition: options.maxBytesPerPartition }),
        ...(options.retry !== undefined && { retry: { initialMs: options.retry.initialMs, maxMs: options.retry.maxMs } }),
        onCommitted: (topic, partition, next) => this.committed(topic, partition, next),
      },
      async (batch) => {
        if (this.processor === undefined) throw new ConsumerHostException(ConsumerHostErrorCode.NOT_STARTED, 'consumer host not started');
        return this.processor.process(batch);
      },
      deps.logger,
    );
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.isJoined = true;
      for (const resolve of this.joinWaiters.splice(0)) resolve();
    });
  }

  /** A codec decodes AuditEvents, so a consumer given one hands its handler AuditEvents (E is then AuditEvent). */
  private get decoder(): MessageDecoder<E> {
    const { codec } = this.deps;
    return 'decodeAll' in codec ? codec : (decodeEach(codec) as unknown as MessageDecoder<E>);
  }

  get group(): string {
    return this.options.group;
  }

  /** Whether the group has its partitions (events published from then on are read). */
  get joined(): boolean {
    return this.isJoined;
  }

  /** The last lag measured (undefined before the first measurement or without `lagIntervalMs`). */
  get lag(): GroupLag | undefined {
    return this.lastLag;
  }

  get paused(): boolean {
    return this.consumer.paused;
  }

  /** Partitions whose batch failed and waits for another attempt (a transient outage, or an unknown error within its bound). */
  get retrying(): RetryingPartition[] {
    return this.consumer.retrying;
  }

  onLag(listener: (lag: GroupLag) => void): void {
    this.lagListeners.push(listener);
  }

  whenJoined(): Promise<void> {
    return this.isJoined ? Promise.resolve() : new Promise((resolve) => this.joinWaiters.push(resolve));
  }

  /** Joins the group and starts reading; a bounded read fixes its ends first. `from` positions partitions once, after the first join. */
  async start(options: { from?: ReadonlyOffsetMap } = {}): Promise<void> {
    const until = await this.fixEnds(options.from);
    const sender = this.deps.deadLetters;
    const deadLetters = sender && { send: (letters: readonly DeadLetter[]) => this.sendLetters(sender, letters) };
    if (this.options.undecodable !== 'skip' && sender === undefined)
      throw new ConsumerHostException(ConsumerHostErrorCode.NO_DEAD_LETTER_SENDER, `group ${this.group}: dead letters need a sender`);
    this.processor = new AuditBatchProcessor({
      decoder: this.decoder,
      deadLetters,
      skipUndecodable: this.options.undecodable === 'skip',
      handler: this.handler,
      until,
      unknownAttempts: this.options.retry?.unknownAttempts,
      acceptKey: this.options.acceptKey,
      onBatchStart: this.options.onBatchStart,
      onBatchEnd: this.options.onBatchEnd,
      fetchWhileDecoding: this.options.fetchWhileDecoding,
      onIsolated: ({ origin, reason, detail }) =>
        this.deps.logger.error({ origin, reason, detail }, 'the batch failed on this one event; it is dead-lettered, the rest goes on'),
    });
    if (this.latestOnce && until === undefined) await this.commitFirstStart();
    await this.consumer.start();
    if (options.from !== undefined) {
      await this.whenJoined();
      for (const [topic, partitions] of options.from)
        for (const [partition, offset] of partitions) this.consumer.seek(topic, partition, offset);
    }
    if (this.options.lagIntervalMs !== undefined) {
      this.lagTimer = setInterval(() => this.startLagMeasure(), this.options.lagIntervalMs);
      this.lagTimer.unref();
      this.startLagMeasure();
    }
  }

  /** Abandons the batch in flight (uncommitted, so re-delivered) and leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    // A measurement in flight would connect the admin again after the disconnect below.
    await this.lagRun;
    await this.consumer.stop();
    this.isJoined = false;
    if (this.options.deleteGroupOnStop === true) await this.admin.deleteGroup(this.group);
    await this.admin.close();
  }

  /** Stops fetching; the group membership stays. */
  pause(): void {
    this.consumer.pause();
  }

  resume(): void {
    this.consumer.resume();
  }

  /** Measures the lag now (also what the interval does). */
  async measureLag(): Promise<GroupLag> {
    const perTopic = await this.admin.lag(this.group, this.options.topics, this.startFrom);
    const messages = Object.values(perTopic).reduce((sum, n) => sum + n, 0);
    const lag = { messages, measuredAt: this.deps.clock.now() };
    this.lastLag = lag;
    for (const listener of this.lagListeners) listener(lag);
    return lag;
  }

  private async sendLetters(sender: DeadLetterSender, letters: readonly DeadLetter[]): Promise<void> {
    await sender.send(letters);
    this.deps.onDeadLettered?.(letters);
    for (const { origin, reason, detail } of letters) this.deps.logger.warn({ origin, reason, detail }, 'message dead-lettered');
  }

  private startLagMeasure(): void {
    this.lagRun ??= this.measureLag()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.deps.logger.debug({ groupId: this.group, err: (err as Error).message }, 'lag not measured');
      })
      .finally(() => (this.lagRun = undefined));
  }

  /** Where a partition the group never committed starts (for a latest-once group: where it started, the first time). */
  private get startFrom(): StartFrom {
    return (this.options.fromBeginning ?? true) || this.latestOnce ? 'earliest' : 'latest';
  }

  private get latestOnce(): boolean {
    return this.options.fromBeginning === false && this.options.latestApplies === 'first-start';
  }

  /** The group's first start commits the topics' ends, so "latest" is decided once and never again on a restart. */
  private async commitFirstStart(): Promise<void> {
    const committed = await this.admin.commitFirstStartPositions(this.group, this.options.topics, 'latest');
    if (committed.size > 0)
      this.deps.logger.info(
        { groupId: this.group, topics: [...committed.keys()] },
        'first start: every partition starts at its end (startFrom latest), committed so restarts resume from there',
      );
  }

  /** The ends of a bounded read, and which partitions still have to reach them. */
  private async fixEnds(from: ReadonlyOffsetMap | undefined): Promise<ReadonlyOffsetMap | undefined> {
    const until = this.options.until;
    if (until === undefined) return undefined;
    const ends = new Map<string, Map<number, string>>();
    const committed = await this.admin.committedOffsets(this.group, this.options.topics);
    for (const topic of this.options.topics) {
      for (const { partition, low, high } of await this.admin.watermarks(topic)) {
        const end = until === 'high-watermark' ? high : until.get(topic)?.get(partition);
        if (end === undefined) continue;
        if (!ends.has(topic)) ends.set(topic, new Map());
        ends.get(topic)?.set(partition, end);
        const own = committed.get(topic)?.get(partition);
        const position = from?.get(topic)?.get(partition) ?? own ?? (this.startFrom === 'earliest' ? low : high);
        if (BigInt(position) < BigInt(end)) this.remaining.set(`${topic}:${partition}`, BigInt(end));
      }
    }
    if (this.remaining.size === 0) this.finish();
    return ends;
  }

  private committed(topic: string, partition: number, next: bigint): void {
    const key = `${topic}:${partition}`;
    const end = this.remaining.get(key);
    if (end === undefined || next < end) return;
    this.remaining.delete(key);
    if (this.remaining.size === 0) this.finish();
  }
}
