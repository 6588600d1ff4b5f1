import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import { topicFor, type AuditEvent, type EventCodec } from '@vigil/events';
import {
  backoffDelay,
  BatchDelivery,
  boundedReason,
  describeNetworkError,
  eventFilter,
  LingerBatcher,
  toDeadLetter,
  type ConnectorDefinition,
  type DeadLetterSender,
  type PendingRecord,
  type Sink,
  type SinkRecord,
} from '@vigil/connector';
import {
  AuditBatchConsumer,
  NotTheEventsError,
  type DeadLetter,
  type DecodedBatch,
  type DecodedMessage,
  type KafkaClient,
} from '@vigil/kafka';
import type { StreamHealthTracker, StreamMetrics } from './stream-health.util';
import type { StreamOffsets, StreamRepository } from './stream.repository';

/** `topic:partition`. */
export type TopicPartition = string;

export function tpOf(topic: string, partition: number): TopicPartition {
  return `${topic}:${partition}`;
}

function splitTp(tp: TopicPartition): [string, number] {
  const at = tp.lastIndexOf(':');
  return [tp.slice(0, at), Number(tp.slice(at + 1))];
}

/** What the shared reader tells a worker about itself. */
export interface SharedPath {
  /** Next offset of the partition not yet settled by the shared reader (the start of its batch in flight, if any). */
  position(tp: TopicPartition): bigint | undefined;
  /** True while a shared batch of the partition is being handled. */
  inFlight(tp: TopicPartition): boolean;
  /** Every partition the shared reader knows, of the given topics. */
  partitionsOf(topics: readonly string[]): TopicPartition[];
}

/** The catch-up slots a stream takes one of while it reads from its checkpoint (CatchUpSlots in catch-up-slots.util). */
export interface CatchUpSlotPool {
  acquire(signal: AbortSignal, tenant: string): Promise<boolean>;
  release(tenant: string): void;
}

export interface StreamWorkerOptions {
  /** A shared batch waits at most this long for the stream before the stream leaves the shared path. */
  detachAfterMs: number;
  /** Backoff of probes while the SIEM fails. */
  probe: { initialBackoffMs: number; maxBackoffMs: number };
  /** Consecutive credential refusals after which the stream is suspended. */
  suspendAfterAuthFailures: number;
  sessionTimeoutMs?: number;
}

export interface StreamWorkerDeps {
  kafka: KafkaClient;
  codec: Pick<EventCodec, 'decode'>;
  deadLetters: DeadLetterSender;
  repository: StreamRepository;
  shared: SharedPath;
  catchUps: CatchUpSlotPool;
  metrics: StreamMetrics;
  logger: Logger;
  clock: Clock;
  options: StreamWorkerOptions;
}

export interface StreamIdentity {
  id: string;
  tenantId: string;
  version: number;
}

type Mode = 'attached' | 'catching_up' | 'detached' | 'paused' | 'suspended' | 'stopped';

interface Take {
  remaining: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * One stream in the streams app. On the shared path it receives its tenant's matching events from the one reader all
 * streams share and holds that reader's partition batch until its SIEM accepted them. When its SIEM fails or is
 * slower than `detachAfterMs`, it leaves the shared path: its checkpoint (where the shared reader stood on each
 * partition) is written to PostgreSQL before the shared batch is released, so the other streams go on at once and
 * this one loses nothing. It then probes its SIEM with backoff (re-sending the batch that failed), and once the SIEM
 * answers, reads from its checkpoint with a consumer of its own (skipping other tenants' records undecoded) and
 * rejoins the shared path partition by partition, without a gap: a partition rejoins only when this stream has
 * delivered everything before the shared reader's next batch on it.
 */
export class StreamWorker {
  readonly health: StreamHealthTracker;
  private mode: Mode = 'attached';
  private readonly accepts: (event: AuditEvent) => boolean;
  private readonly topics: string[];
  private readonly tenantKey: Buffer;
  /** Partitions on the shared path, with the first offset this stream takes from the shared reader. */
  private readonly joinedFrom = new Map<TopicPartition, bigint>();
  /** Every partition is on the shared path, including partitions the shared reader has not seen yet. */
  private fullyAttached = false;
  /** Where this stream resumes on each partition not on the shared path. */
  private checkpoint: StreamOffsets = new Map();
  private readonly takes = new Set<Take>();
  private batcher: LingerBatcher<PendingRecord>;
  private queue: PendingRecord[][] = [];
  private draining = false;
  private current: PendingRecord[] | undefined;
  private session = new AbortController();
  private shared: BatchDelivery;
  private probeBatch: SinkRecord[] | undefined;
  private probeAttempt = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private catchUp: { consumer: AuditBatchConsumer; abort: AbortController; delivery: BatchDelivery; joinTimer: NodeJS.Timeout } | undefined;
  /** The catch-up batch being delivered (re-sent as the probe if the catch-up stalls on it). */
  private catchUpCurrent: PendingRecord[] | undefined;
  private catchUpLastEventMicros: number | undefined;
  private detachedAt: number | undefined;
  private persisting: Promise<void> = Promise.resolve();

  constructor(
    readonly identity: StreamIdentity,
    private readonly definition: ConnectorDefinition,
    private readonly sink: Sink,
    private readonly deps: StreamWorkerDeps,
    health: StreamHealthTracker,
  ) {
    this.health = health;
    const { actions, minSeverity, categories, batch } = definition;
    const filter = eventFilter({ include: actions.include, exclude: actions.exclude, minSeverity });
    // The event's own tenant decides, never the record's key alone: the catch-up reader picks records by key, and a
    // producer keying another tenant's event with this tenant's key must not put it in this tenant's SIEM.
    const tenantId = identity.tenantId;
    this.accepts = (event) => event.tenantId === tenantId && filter(event);
    this.topics = categories.map(topicFor);
    this.tenantKey = Buffer.from(identity.tenantId);
    this.batcher = new LingerBatcher<PendingRecord>(batch, (records) => this.enqueue(records));
    this.shared = this.newDelivery(this.session, 'shared');
  }

  get id(): string {
    return this.identity.id;
  }

  get state(): Mode {
    return this.mode;
  }

  /**
   * Starts the stream: with no checkpoint it takes the shared path at once (a new stream gets events from now);
   * with one it catches up first; paused and suspended streams only report their state.
   */
  async start(initial: {
    checkpoint: StreamOffsets;
    paused: boolean;
    suspended?: string | undefined;
    replayFrom?: StreamOffsets;
  }): Promise<void> {
    this.checkpoint = initial.checkpoint;
    if (initial.replayFrom !== undefined) {
      if (this.checkpoint.size === 0) this.checkpoint = this.sharedPositions();
      for (const [topic, partitions] of initial.replayFrom)
        for (const [partition, offset] of partitions) {
          const at = this.checkpoint.get(topic) ?? new Map<number, bigint>();
          at.set(partition, minBig(at.get(partition), offset));
          this.checkpoint.set(topic, at);
        }
      await this.deps.repository.saveOffsets(this.checkpointEntries());
    }
    if (initial.paused) return this.rest('paused', 'disabled by the customer; enable the stream to resume from where it stopped');
    if (initial.suspended !== undefined) return this.rest('suspended', initial.suspended);
    if (this.checkpoint.size === 0) {
      this.fullyAttached = true;
      this.mode = 'attached';
      this.health.setState('active');
      return;
    }
    this.detachedAt = this.deps.clock.now().getTime();
    this.startCatchUp();
  }

  /** Whether the shared reader hands this event, read at `offset` of `tp`, to this stream. */
  wants(tp: TopicPartition, offset: bigint, event: AuditEvent): boolean {
    if (this.mode !== 'attached' && this.mode !== 'catching_up') return false;
    if (!this.fullyAttached) {
      const from = this.joinedFrom.get(tp);
      if (from === undefined || offset < from) return false;
    }
    return this.topics.includes(topicOfTp(tp)) && this.accepts(event);
  }

  /**
   * Takes the events the shared reader matched for this stream; resolves once the SIEM accepted them (or they were
   * dead-lettered), or once the stream left the shared path and its checkpoint is stored.
   */
  take(messages: readonly DecodedMessage[]): Promise<void> {
    const letters: DeadLetter[] = [];
    const records = this.prepare(messages, letters);
    const sendLetters = letters.length === 0 ? Promise.resolve() : this.sendLetters(letters);
    if (records.length === 0) return sendLetters;
    let take: Take | undefined;
    const delivered = new Promise<void>((resolve, reject) => {
      take = { remaining: records.length, resolve, reject };
    });
    const held = take as unknown as Take; // assigned synchronously by the executor above
    this.takes.add(held);
    const settle = (): void => {
      if (--held.remaining > 0) return;
      this.takes.delete(held);
      held.resolve();
    };
    const watchdog = setTimeout(() => {
      if (this.takes.has(held)) void this.detach(`slow: the SIEM took more than ${this.deps.options.detachAfterMs} ms`, 'slow');
    }, this.deps.options.detachAfterMs);
    watchdog.unref();
    delivered.then(
      () => clearTimeout(watchdog),
      () => clearTimeout(watchdog),
    );
    this.batcher.add(records.map((r) => ({ ...r, settle })));
    return Promise.all([delivered, sendLetters]).then(() => undefined);
  }

  /**
   * Leaves the shared path and keeps a checkpoint: the shared reader's position on every partition this stream was
   * taking from it. Its unsettled shared batches are released only after the checkpoint is stored.
   */
  detach(reason: string, why: 'failing' | 'slow' | 'retired' | 'stopped', failed?: readonly SinkRecord[]): Promise<void> {
    if (this.mode !== 'attached' && this.mode !== 'catching_up') return this.persisting;
    const wasCatchingUp = this.mode === 'catching_up';
    this.mode = why === 'retired' || why === 'stopped' ? 'stopped' : 'detached';
    this.deps.metrics.detached.inc({ reason: why });
    this.detachedAt ??= this.deps.clock.now().getTime();
    if (failed !== undefined && failed.length > 0) this.probeBatch = failed.map(({ event, bytes }) => ({ event, bytes }));
    this.session.abort();
    this.batcher.clear();
    this.queue = [];
    if (wasCatchingUp) void this.stopCatchUp();
    // Partitions on the shared path get the shared reader's position; the others keep what catch-up reached.
    const positions = this.sharedPositions();
    for (const [topic, partitions] of positions)
      for (const [partition, offset] of partitions) {
        const tp = tpOf(topic, partition);
        if (this.fullyAttached || this.joinedFrom.has(tp)) {
          const at = this.checkpoint.get(topic) ?? new Map<number, bigint>();
          at.set(partition, maxBig(offset, this.joinedFrom.get(tp)));
          this.checkpoint.set(topic, at);
        }
      }
    this.fullyAttached = false;
    this.joinedFrom.clear();
    const takes = [...this.takes];
    this.takes.clear();
    this.persisting = this.persistCheckpoint().then(
      () => {
        for (const take of takes) take.resolve();
      },
      (err: Error) => {
        // Without a stored checkpoint the shared batch must not move on: it fails and is read again for every stream.
        for (const take of takes) take.reject(err);
      },
    );
    if (this.mode === 'detached') {
      this.health.setState('failing', reason);
      this.deps.logger.warn(
        { stream: this.id, tenant: this.identity.tenantId, reason },
        'stream left the shared path; it catches up on its own once its SIEM answers',
      );
      this.scheduleProbe();
    }
    return this.persisting;
  }

  /**
   * Stops for good. At shutdown the shared batches it holds fail (they stay uncommitted and are read again after a
   * restart); when the stream was deleted they are released, since nothing is owed to it any more.
   */
  async stop(why: 'shutdown' | 'deleted' = 'shutdown'): Promise<void> {
    this.mode = 'stopped';
    clearTimeout(this.probeTimer);
    this.session.abort();
    this.batcher.clear();
    this.queue = [];
    const stopping = new NotTheEventsError(`stream ${this.id} stopping; its shared batches stay uncommitted`);
    for (const take of this.takes) {
      if (why === 'deleted') take.resolve();
      else take.reject(stopping);
    }
    this.takes.clear();
    await this.stopCatchUp();
    await this.persisting.catch(() => undefined);
    await this.sink.close?.();
  }

  /**
   * Replaced by a new version of the stream (settings, secrets, enabled): leaves the shared path with a checkpoint,
   * so the new version resumes exactly there.
   */
  async retire(): Promise<void> {
    await this.detach('replaced by a new version', 'retired');
    await this.stop('deleted');
  }

  /** Refreshes lag from the topics' high watermarks (events on its topics not passed yet) and seconds behind. */
  measureLag(highWatermarks: ReadonlyMap<TopicPartition, bigint>): void {
    let events = 0n;
    for (const [tp, high] of highWatermarks) {
      if (!this.topics.includes(topicOfTp(tp))) continue;
      const onShared = this.fullyAttached || this.joinedFrom.has(tp);
      const at = onShared ? maxBig(this.deps.shared.position(tp) ?? high, this.joinedFrom.get(tp)) : (this.checkpointOf(tp) ?? high);
      if (high > at) events += high - at;
    }
    const now = this.deps.clock.now().getTime();
    let seconds = 0;
    if (events > 0n && this.mode !== 'attached') {
      const since = this.catchUpLastEventMicros !== undefined ? this.catchUpLastEventMicros / 1000 : this.detachedAt;
      seconds = since === undefined ? 0 : Math.max(0, (now - since) / 1000);
    }
    this.health.setLag(Number(events), seconds);
  }

  private rest(mode: 'paused' | 'suspended', reason: string): void {
    this.mode = mode;
    this.health.setState(mode, reason);
  }

  private newDelivery(session: AbortController, lane: 'shared' | 'catch-up'): BatchDelivery {
    return new BatchDelivery({
      connector: this.definition.name,
      sink: this.sink,
      deadLetters: { send: (letters) => this.sendLetters(letters) },
      status: this.health,
      retry: this.definition.retry,
      logger: this.deps.logger,
      hooks: {
        stall: (_state, reason) => {
          const failed = lane === 'shared' ? this.current : this.catchUpCurrent;
          if (lane === 'shared' || this.mode === 'catching_up') void this.detach(reason, 'failing', failed);
          if (!session.signal.aborted) session.abort();
        },
        recover: () => undefined,
      },
    });
  }

  private prepare(messages: readonly DecodedMessage[], letters: DeadLetter[]): Omit<PendingRecord, 'settle'>[] {
    const records: Omit<PendingRecord, 'settle'>[] = [];
    for (const { event, origin, key, value } of messages) {
      const from = { ...origin, key, value };
      try {
        records.push({ event, bytes: Buffer.from(this.sink.encode(event)), origin: from, whole: event });
      } catch (err) {
        letters.push(
          toDeadLetter(
            { origin: from, event },
            'unmappable',
            `stream ${this.id}: cannot map to ${this.definition.format}: ${(err as Error).message}`,
          ),
        );
      }
    }
    return records;
  }

  private async sendLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.deps.deadLetters.send(
      letters.map((l) => ({ ...l, detail: l.detail.startsWith('stream ') ? l.detail : `stream ${this.id}: ${l.detail}` })),
    );
  }

  private enqueue(records: PendingRecord[]): void {
    this.queue.push(records);
    void this.drain();
  }

  /** One batch in flight at a time on the shared path: the stream's order per partition holds. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.current = next;
        try {
          await this.shared.deliver(next, this.session.signal);
        } catch (err) {
          if (!this.session.signal.aborted) void this.detach(boundedReason((err as Error).message), 'failing', next);
        }
      }
    } finally {
      this.current = undefined;
      this.draining = false;
    }
  }

  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    const delay = backoffDelay(this.probeAttempt++, this.deps.options.probe);
    this.probeTimer = setTimeout(() => void this.probe(), delay);
    this.probeTimer.unref();
  }

  /** Re-sends the batch that failed; once the SIEM takes it (or refuses it on its merits), the stream catches up. */
  private async probe(): Promise<void> {
    if (this.mode !== 'detached') return;
    const batch = this.probeBatch;
    if (batch === undefined) return this.startCatchUp();
    const signal = AbortSignal.timeout(60_000);
    let kind: string;
    let reason = '';
    try {
      const result = await this.sink.deliver(batch, signal);
      kind = result.kind;
      if (result.kind !== 'ok') reason = boundedReason(result.reason);
    } catch (err) {
      kind = 'retryable';
      reason = boundedReason(describeNetworkError(err));
    }
    if (this.mode !== 'detached') return;
    if (kind === 'ok' || kind === 'rejected') {
      // Accepted: the catch-up re-reads these events too (at least once). Refused on their merits: the catch-up's
      // delivery isolates and dead-letters them as the shared path would have.
      if (kind === 'ok') this.health.recordDelivered(this.definition.name, batch.length);
      this.probeBatch = undefined;
      return this.startCatchUp();
    }
    this.health.recordFailure(this.definition.name, kind === 'auth-failed' ? 'auth' : 'retryable', reason);
    this.health.setState('failing', reason);
    if (kind === 'auth-failed' && this.health.authFailures >= this.deps.options.suspendAfterAuthFailures) {
      const why = `suspended after ${this.health.authFailures} credential refusals in a row (last: ${reason}); update the stream's secrets or enable it again`;
      this.rest('suspended', why);
      await this.deps.repository.suspend(this.id, this.identity.version, why).catch(() => undefined);
      return;
    }
    this.scheduleProbe();
  }

  private startCatchUp(): void {
    if (this.mode === 'stopped') return;
    this.mode = 'catching_up';
    this.health.setState('catching_up', 'waiting for a catch-up slot');
    void this.runCatchUp().catch((err: Error) => {
      this.deps.logger.error({ stream: this.id, err: err.message }, 'catch-up failed to start; retrying later');
      void this.detach(boundedReason(err.message), 'failing');
    });
  }

  private async runCatchUp(): Promise<void> {
    const abort = new AbortController();
    this.joinedFrom.clear();
    // Partitions that rejoin during the catch-up deliver on the shared path again: a fresh session for them.
    this.session = new AbortController();
    this.shared = this.newDelivery(this.session, 'shared');
    // Partitions the shared reader has not moved past since the checkpoint join at once.
    this.joinIdle();
    if (this.isFullyJoined()) return this.attach();
    if (!(await this.deps.catchUps.acquire(abort.signal, this.identity.tenantId)) || this.mode !== 'catching_up') return;
    this.deps.metrics.catchUps.inc();
    this.health.setState('catching_up', 'reading from its checkpoint to rejoin the shared path');
    const consumer = new AuditBatchConsumer(
      {
        group: `vigil-stream-catchup-${this.id}`,
        topics: this.topics,
        fromBeginning: true,
        concurrency: 4,
        undecodable: 'skip',
        acceptKey: (key) => key !== null && key.equals(this.tenantKey),
        deleteGroupOnStop: true,
        ...(this.deps.options.sessionTimeoutMs !== undefined && { sessionTimeoutMs: this.deps.options.sessionTimeoutMs }),
      },
      (batch) => this.catchUpBatch(batch, abort.signal),
      {
        kafka: this.deps.kafka,
        codec: this.deps.codec,
        clock: this.deps.clock,
        logger: this.deps.logger,
        deadLetters: { send: (letters) => this.sendLetters(letters) },
      },
    );
    const joinTimer = setInterval(() => {
      this.joinIdle();
      if (this.isFullyJoined() && this.mode === 'catching_up') this.attach();
    }, 250);
    joinTimer.unref();
    this.catchUp = { consumer, abort, delivery: this.newDelivery(abort, 'catch-up'), joinTimer };
    this.deps.logger.info(
      {
        stream: this.id,
        tenant: this.identity.tenantId,
        from: Object.fromEntries(this.checkpointEntries().map((e) => [tpOf(e.topic, e.partition), e.offset.toString()])),
      },
      'stream catching up from its checkpoint',
    );
    const from = new Map(
      [...this.checkpoint].map(([topic, partitions]) => [topic, new Map([...partitions].map(([p, o]) => [p, o.toString()]))]),
    );
    await consumer.start({ from });
  }

  private async catchUpBatch(batch: DecodedBatch, signal: AbortSignal): Promise<void> {
    const tp = tpOf(batch.topic, batch.partition);
    const run = this.catchUp;
    if (this.mode !== 'catching_up' || run === undefined || signal.aborted || this.joinedFrom.has(tp)) return;
    const from = this.checkpointOf(tp) ?? 0n;
    const letters: DeadLetter[] = [];
    const matching = batch.messages.filter((m) => BigInt(m.origin.offset) >= from && this.accepts(m.event));
    const records = this.prepare(matching, letters).map((r) => ({ ...r, settle: () => undefined }));
    if (letters.length > 0) await this.sendLetters(letters);
    if (records.length > 0) {
      this.catchUpCurrent = records;
      await run.delivery.deliver(records, signal);
      this.catchUpCurrent = undefined;
      const last = records[records.length - 1];
      if (last !== undefined) this.catchUpLastEventMicros = last.event.time;
    }
    if (this.mode !== 'catching_up' || signal.aborted || this.joinedFrom.has(tp)) return;
    this.setCheckpoint(tp, batch.nextOffset);
    try {
      await this.persistCheckpoint([tp]);
    } catch (err) {
      // Delivered, but the checkpoint is not stored: the batch is read again and the store retried (its events are
      // behind the checkpoint kept in memory, so not sent twice while this process lives); never dead-lettered for it.
      throw new NotTheEventsError(`stream ${this.id}: its checkpoint could not be stored: ${(err as Error).message}`);
    }
    this.joinIdle();
    if (this.isFullyJoined()) this.attach();
  }

  private joinIdle(): void {
    if (this.mode !== 'catching_up') return;
    for (const tp of this.deps.shared.partitionsOf(this.topics)) {
      if (this.joinedFrom.has(tp) || this.deps.shared.inFlight(tp)) continue;
      const caught = this.checkpointOf(tp);
      const position = this.deps.shared.position(tp);
      if (caught !== undefined && position !== undefined && position <= caught) this.join(tp, caught);
    }
  }

  private join(tp: TopicPartition, from: bigint): void {
    this.joinedFrom.set(tp, from);
  }

  private isFullyJoined(): boolean {
    const partitions = this.deps.shared.partitionsOf(this.topics);
    return partitions.length > 0 && partitions.every((tp) => this.joinedFrom.has(tp));
  }

  /** Every partition rejoined: the catch-up consumer stops and the checkpoint is dropped (the shared reader's commits hold). */
  private attach(): void {
    if (this.mode !== 'catching_up') return;
    this.mode = 'attached';
    this.fullyAttached = true;
    this.detachedAt = undefined;
    this.catchUpLastEventMicros = undefined;
    this.probeAttempt = 0;
    this.health.setState('active');
    this.deps.logger.info({ stream: this.id, tenant: this.identity.tenantId }, 'stream caught up and rejoined the shared path');
    void this.stopCatchUp();
    this.checkpoint = new Map();
    this.persisting = this.persisting.then(() => this.deps.repository.clearOffsets(this.id)).catch(() => undefined);
  }

  private async stopCatchUp(): Promise<void> {
    const run = this.catchUp;
    if (run === undefined) return;
    this.catchUp = undefined;
    run.abort.abort();
    clearInterval(run.joinTimer);
    this.deps.metrics.catchUps.dec();
    this.deps.catchUps.release(this.identity.tenantId);
    await run.consumer
      .stop()
      .catch((err: Error) => this.deps.logger.warn({ stream: this.id, err: err.message }, 'catch-up consumer did not stop cleanly'));
  }

  private sharedPositions(): StreamOffsets {
    const offsets: StreamOffsets = new Map();
    for (const tp of this.deps.shared.partitionsOf(this.topics)) {
      const position = this.deps.shared.position(tp);
      if (position === undefined) continue;
      const [topic, partition] = splitTp(tp);
      const at = offsets.get(topic) ?? new Map<number, bigint>();
      at.set(partition, position);
      offsets.set(topic, at);
    }
    return offsets;
  }

  private checkpointOf(tp: TopicPartition): bigint | undefined {
    const [topic, partition] = splitTp(tp);
    return this.checkpoint.get(topic)?.get(partition);
  }

  private setCheckpoint(tp: TopicPartition, offset: bigint): void {
    const [topic, partition] = splitTp(tp);
    const at = this.checkpoint.get(topic) ?? new Map<number, bigint>();
    at.set(partition, offset);
    this.checkpoint.set(topic, at);
  }

  private checkpointEntries(only?: readonly TopicPartition[]): { streamId: string; topic: string; partition: number; offset: bigint }[] {
    const entries: { streamId: string; topic: string; partition: number; offset: bigint }[] = [];
    for (const [topic, partitions] of this.checkpoint)
      for (const [partition, offset] of partitions)
        if (only === undefined || only.includes(tpOf(topic, partition))) entries.push({ streamId: this.id, topic, partition, offset });
    return entries;
  }

  /** Stores the checkpoint, retrying a PostgreSQL hiccup a few times. */
  private async persistCheckpoint(only?: readonly TopicPartition[]): Promise<void> {
    const entries = this.checkpointEntries(only);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.repository.saveOffsets(entries);
        return;
      } catch (err) {
        if (attempt >= 4) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
}

function topicOfTp(tp: TopicPartition): string {
  return tp.slice(0, tp.lastIndexOf(':'));
}

function minBig(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}

function maxBig(a: bigint, b: bigint | undefined): bigint {
  return b === undefined || a > b ? a : b;
}
