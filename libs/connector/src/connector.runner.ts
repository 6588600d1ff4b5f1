import type { Logger } from 'pino';
import { Clock, laneOf } from '@vigil/common';
import { topicFor, type EventCodec } from '@vigil/events';
import {
  AuditBatchConsumer,
  type BatchOutcome,
  type DeadLetter,
  type DecodedBatch,
  type DecodedMessage,
  type KafkaClient,
  type MessageDecoder,
  type ReadonlyOffsetMap,
  type SchemaRegistryOptions,
} from '@vigil/kafka';
import { BatchDelivery, toDeadLetter, type DeadLetterSender, type PendingRecord } from './batch-delivery.service';
import { DEFAULT_MAX_IN_FLIGHT, type ConnectorDefinition } from './connector-config.schema';
import type { ConnectorControl, ConnectorStatusService } from './connector-status.service';
import { ConnectorErrorCode, ConnectorException } from './connector.exception';
import { EncodePool } from './encode-pool.codec';
import { LingerBatcher } from './linger-batcher.util';
import { InlinePreparer, type ConnectorFilterSpec, type PreparedEvent } from './prepared-event.mapper';
import type { Sink } from './sink.types';

export interface ConnectorRunnerDeps {
  kafka: KafkaClient;
  codec: Pick<EventCodec, 'decode'>;
  sink: Sink;
  /**
   * Worker threads that decode, filter and map the events (EncodePool), when the sink has an `encoding`; 0 or unset:
   * all on this thread. The threads reach the schema registry with `registry`, which they then need.
   */
  encodeThreads?: number;
  registry?: SchemaRegistryOptions;
  deadLetters: DeadLetterSender;
  status: ConnectorStatusService;
  logger: Logger;
  /** Time of lag measurements (default: the wall clock). */
  clock?: Clock;
  /** How often lag is measured (default 10 s). */
  lagIntervalMs?: number;
  /** Set for a replay: a bounded range read with its own group instead of the live stream. */
  range?: ReplayRange;
}

/** A bounded run of a connector (replay, redrive): its own group, fixed end offsets, an event-time floor, progress. */
export interface ReplayRange {
  groupId: string;
  /** Exclusive end offset per topic and partition; messages at or past it, or of partitions not listed, are skipped. */
  until: StartOffsets;
  /** Events whose time (epoch microseconds) is before this are skipped. */
  fromTimeMicros?: number;
  sessionTimeoutMs?: number;
  /** Called once a partition batch is settled, before its offsets are committed, with how many messages of the range it held (progress; `finished` says when the range is done). */
  onBatch?(progress: { topic: string; partition: number; inRange: number; nextOffset: bigint }): void;
}

/** Where partitions start on the first join, e.g. the offsets a replay computed for a timestamp. */
export type StartOffsets = ReadonlyOffsetMap;

interface Ticket {
  remaining: number;
  resolve(): void;
  reject(err: Error): void;
}

/** A lane of the connector's partitions: its batcher, the batches waiting to be sent, one in flight. */
interface Lane {
  batcher: LingerBatcher<PendingRecord>;
  queue: PendingRecord[][];
  draining: boolean;
  delivery: BatchDelivery;
}

/** Partition batches handled at once; each holds at most one fetch (1 MB) in memory while the SIEM is down. */
const PARTITIONS_CONCURRENTLY = 8;

/**
 * Runs one connector: its own consumer group on its categories' topics, read through the consumer host (decode,
 * filter and map, in worker threads when the sink allows; undecodable → audit.dlq once; commit after the batch
 * settled), then batch by count/bytes/linger and deliver through its sink in `batch.maxInFlight` lanes of partitions,
 * one request in flight per lane (so each partition stays in order). A partition batch is committed only when every
 * event of it was accepted by the SIEM or dead-lettered.
 */
export class ConnectorRunner implements ConnectorControl {
  readonly groupId: string;
  private readonly consumer: AuditBatchConsumer<PreparedEvent>;
  /** Each with its own batcher, queue and one request in flight; a partition always takes the same lane (laneOf). */
  private readonly lanes: Lane[];
  /** Lanes whose delivery is backing off or failing, and why: the consumer resumes once none is. */
  private readonly stalled = new Map<Lane, { state: 'backing_off' | 'failing'; reason: string }>();
  private readonly pool: EncodePool | undefined;
  private readonly topics: string[];
  private readonly tickets = new Set<Ticket>();
  /** Partition batches started (decoding) whose records are not in the batcher yet: while none is, nothing else comes. */
  private readonly arriving = new Map<string, number>();
  private abort = new AbortController();
  private operatorPaused = false;
  private readonly range: ReplayRange | undefined;

  constructor(
    private readonly definition: ConnectorDefinition,
    private readonly deps: ConnectorRunnerDeps,
  ) {
    const { name, batch, actions, minSeverity, categories, retry } = definition;
    this.range = deps.range;
    this.groupId = deps.range?.groupId ?? `vigil-connector-${name}`;
    this.topics = categories.map(topicFor);
    const tenants = definition.tenants === 'all' ? undefined : new Set(definition.tenants);
    const filter: ConnectorFilterSpec = { actions, minSeverity, tenants: definition.tenants, fromTimeMicros: deps.range?.fromTimeMicros };
    const { encoding } = deps.sink;
    const threads = deps.encodeThreads ?? 0;
    this.pool =
      encoding !== undefined && threads > 0 && deps.registry !== undefined
        ? new EncodePool({ registry: deps.registry, filter, encoding, format: definition.format }, threads, deps.logger)
        : undefined;
    const decoder: MessageDecoder<PreparedEvent> =
      this.pool ?? new InlinePreparer(deps.codec, filter, (event) => deps.sink.encode(event), definition.format);

    this.consumer = new AuditBatchConsumer<PreparedEvent>(
      {
        group: this.groupId,
        topics: this.topics,
        fromBeginning: definition.startFrom === 'earliest',
        latestApplies: 'first-start',
        concurrency: PARTITIONS_CONCURRENTLY,
        // A connector for some tenants skips the others' records undecoded (the key is the tenant id).
        ...(tenants !== undefined && { acceptKey: (key: Buffer | null) => key !== null && tenants.has(key.toString()) }),
        ...(deps.range?.sessionTimeoutMs !== undefined && { sessionTimeoutMs: deps.range.sessionTimeoutMs }),
        onBatchStart: (topic, partition) => {
          // Counted: with fetch while decoding, a partition's next batch starts before this one has arrived.
          const key = `${topic}:${partition}`;
          this.arriving.set(key, (this.arriving.get(key) ?? 0) + 1);
        },
        onBatchEnd: (topic, partition) => this.arrived(topic, partition),
        // Decoding happens in the encode threads: the next fetch need not wait for it.
        fetchWhileDecoding: this.pool !== undefined,
        retry: { initialMs: retry.initialBackoffMs, maxMs: retry.maxBackoffMs },
        // A replay reports progress, not lag.
        ...(deps.range === undefined ? { lagIntervalMs: deps.lagIntervalMs ?? 10_000 } : { until: deps.range.until }),
      },
      (b) => this.handle(b),
      {
        kafka: deps.kafka,
        codec: decoder,
        deadLetters: { send: (letters) => this.sendLetters(letters) },
        clock: deps.clock ?? new Clock(),
        logger: deps.logger,
      },
    );
    this.consumer.onLag((lag) => deps.status.setLag(name, lag.messages));
    this.lanes = Array.from({ length: Math.max(1, batch.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) }, () => {
      const lane: Lane = {
        batcher: new LingerBatcher<PendingRecord>(batch, (records) => this.enqueue(lane, records)),
        queue: [],
        draining: false,
        delivery: new BatchDelivery({
          connector: name,
          sink: deps.sink,
          deadLetters: deps.deadLetters,
          status: deps.status,
          retry,
          logger: deps.logger,
          hooks: { stall: (state, reason) => this.stall(lane, state, reason), recover: () => this.recover(lane) },
        }),
      };
      return lane;
    });
    deps.status.register(name, definition.type, this);
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * For a range run: resolves once every partition of the range is committed up to its end (never for the live
   * stream). Commits trail the deliveries (a partition's next batch is fetched while one is delivered), so a range is
   * over only then, not when its last batch was delivered.
   */
  get finished(): Promise<void> {
    return this.consumer.finished;
  }

  /** Probes the SIEM, joins the group and starts consuming; `from` moves partitions once, after the first join. */
  async start(options: { from?: StartOffsets } = {}): Promise<void> {
    this.abort = new AbortController();
    const problem = await this.deps.sink.probe?.(this.abort.signal);
    if (problem !== undefined) {
      this.deps.logger.warn({ connector: this.name, problem }, 'SIEM health probe failed; starting anyway, deliveries will retry');
      this.deps.status.recordFailure(this.name, 'probe', problem, false);
    }
    await this.consumer.start(options.from === undefined ? {} : { from: options.from });
    await this.consumer.whenJoined();
    if (this.range !== undefined) return;
    this.deps.logger.info({ connector: this.name, groupId: this.groupId, topics: this.topics }, 'connector started');
  }

  /** Abandons what is in flight (uncommitted, so re-delivered after a restart) and leaves the group. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.clearLanes();
    this.arriving.clear();
    this.stalled.clear();
    const stopping = new ConnectorException(ConnectorErrorCode.STOPPING, 'connector stopping; batch left uncommitted');
    for (const ticket of this.tickets) ticket.reject(stopping);
    this.tickets.clear();
    await this.consumer.stop();
    await this.pool?.close();
    await this.deps.sink.close?.();
    this.deps.logger.info({ connector: this.name }, 'connector stopped');
  }

  pause(): void {
    this.operatorPaused = true;
    this.consumer.pause();
    this.deps.status.setState(this.name, 'paused', 'paused by an operator');
  }

  resume(): void {
    this.operatorPaused = false;
    this.consumer.resume();
    this.deps.status.setState(this.name, 'running');
  }

  private stall(lane: Lane, state: 'backing_off' | 'failing', reason: string): void {
    this.stalled.set(lane, { state, reason });
    this.consumer.pause();
    this.showStall();
  }

  private recover(lane: Lane): void {
    this.stalled.delete(lane);
    if (this.operatorPaused) return;
    if (this.stalled.size > 0) return this.showStall();
    this.consumer.resume();
    this.deps.status.setState(this.name, 'running');
  }

  /** The status of a connector with stalled lanes: a failing lane (an operator must act) before one backing off. */
  private showStall(): void {
    if (this.operatorPaused) return;
    const stalls = [...this.stalled.values()];
    const worst = stalls.find((s) => s.state === 'failing') ?? stalls[stalls.length - 1];
    if (worst !== undefined) this.deps.status.setState(this.name, worst.state, worst.reason);
  }

  /** Resolves once every event of the partition batch was delivered, filtered out or dead-lettered. */
  private async handle(batch: DecodedBatch<PreparedEvent>): Promise<BatchOutcome> {
    const outcome = await this.deliverAll(batch);
    this.range?.onBatch?.({ topic: batch.topic, partition: batch.partition, inRange: batch.read, nextOffset: batch.nextOffset });
    return outcome;
  }

  /** The host dead-letters through this (undecodable and unmappable events, once each); the status counts them. */
  private async sendLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.deps.deadLetters.send(letters);
    this.deps.status.recordDeadLettered(this.name, letters.length);
  }

  private async deliverAll(batch: DecodedBatch<PreparedEvent>): Promise<BatchOutcome> {
    const letters: DeadLetter[] = [];
    const records: Omit<PendingRecord, 'settle'>[] = [];
    for (const message of batch.messages) {
      const record = this.prepare(message, letters);
      if (record !== undefined) records.push(record);
    }
    // Unmappable events go to audit.dlq through the host, before the batch is committed.
    if (records.length === 0) return { deadLetters: letters };
    // A batch fetched ahead of one that failed is read again after it: sending it now would put it before that one.
    if (!batch.isActive())
      throw new ConnectorException(ConnectorErrorCode.SUPERSEDED, 'partition batch no longer active; it is read again');
    // Progress may be committed up to the first record not settled yet, and never past an unmappable event (its
    // letter is written at the batch's end).
    const [firstLetter] = letters;
    const hold = firstLetter === undefined ? undefined : BigInt(firstLetter.origin.offset);
    const settled = new Array<boolean>(records.length).fill(false);
    let prefix = 0;
    await new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { remaining: records.length, resolve, reject };
      this.tickets.add(ticket);
      const settle = (index: number): void => {
        settled[index] = true;
        while (prefix < records.length && settled[prefix] === true) prefix++;
        const pending = records[prefix];
        if (pending !== undefined) {
          const next = BigInt(pending.origin.offset);
          batch.progress(hold !== undefined && hold < next ? hold : next);
        }
        if (--ticket.remaining > 0) return;
        this.tickets.delete(ticket);
        resolve();
      };
      this.laneOf(batch.topic, batch.partition).batcher.add(records.map((r, i) => ({ ...r, settle: () => settle(i) })));
      // The records are in their lane, in order: the host may fetch and decode the partition's next batch meanwhile. A
      // retried batch is not released (so it can be bisected), but its records have arrived all the same.
      batch.release();
      this.arrived(batch.topic, batch.partition);
    });
    return { deadLetters: letters };
  }

  /** The event's record, or undefined: skipped by the filters, or unmappable (its letter is added). */
  private prepare(
    { event, origin, key, value }: DecodedMessage<PreparedEvent>,
    letters: DeadLetter[],
  ): Omit<PendingRecord, 'settle'> | undefined {
    if (event.unmappable !== undefined) {
      letters.push(toDeadLetter({ origin: { ...origin, key, value }, event }, 'unmappable', event.unmappable));
      return undefined;
    }
    if (event.record === undefined) return undefined;
    return { event, bytes: event.record, origin: { ...origin, key, value }, ...(event.whole !== undefined && { whole: event.whole }) };
  }

  /**
   * A partition batch's records are in the batcher (it was released, or it had none, or its attempt ended). Once no
   * batch in hand is still decoding, nothing more can arrive before these are delivered (each partition has at most
   * its next batch fetched ahead, and that one is decoding), so a partial batch is sent now rather than after the
   * linger: the linger only waits for records that are on their way.
   */
  private arrived(topic: string, partition: number): void {
    const key = `${topic}:${partition}`;
    const left = (this.arriving.get(key) ?? 0) - 1;
    if (left > 0) return void this.arriving.set(key, left);
    if (this.arriving.delete(key) && this.arriving.size === 0) for (const lane of this.lanes) this.flushIdle(lane);
  }

  /**
   * Sends a lane's partial batch now if the lane has nothing in flight. A busy lane keeps gathering: its records could
   * not go before its request returns anyway, and they go then as one request (drain) rather than several small ones.
   */
  private flushIdle(lane: Lane): void {
    if (!lane.draining && lane.queue.length === 0) lane.batcher.flush();
  }

  /** The lane of a partition: always the same one, so its records keep their order. */
  private laneOf(topic: string, partition: number): Lane {
    return this.lanes[laneOf(`${topic}:${partition}`, this.lanes.length)] as Lane;
  }

  private enqueue(lane: Lane, records: PendingRecord[]): void {
    lane.queue.push(records);
    void this.drain(lane);
  }

  /**
   * One request in flight per lane: a partition's records all travel in its lane, one request after the other, so
   * its order holds across retries and splits while the lanes' requests overlap.
   */
  private async drain(lane: Lane): Promise<void> {
    if (lane.draining) return;
    lane.draining = true;
    try {
      for (let next = lane.queue.shift(); next !== undefined; next = lane.queue.shift()) {
        try {
          await lane.delivery.deliver(next, this.abort.signal);
          // Every record of it settled: a lane that backed off and then dead-lettered its whole batch (a refusal split
          // down to single events) is no longer stalled, though no answer was 'ok'. Without this the consumer stayed
          // paused with nothing left in hand to deliver.
          if (this.stalled.has(lane)) this.recover(lane);
        } catch (err) {
          this.failTickets(err as Error);
        }
        // What gathered while the request was out goes next, unless more is still being decoded (then the linger waits).
        if (lane.queue.length === 0 && this.arriving.size === 0) lane.batcher.flush();
      }
    } finally {
      lane.draining = false;
    }
  }

  private clearLanes(): void {
    for (const lane of this.lanes) {
      lane.batcher.clear();
      lane.queue.length = 0;
    }
  }

  /** A dead letter could not be written (Kafka down): the partition batches in hand fail and are retried whole. */
  private failTickets(err: Error): void {
    if (!(err instanceof ConnectorException)) {
      this.deps.logger.error({ connector: this.name, err: err.message }, 'delivery failed; the partition batches are retried');
      this.deps.status.recordFailure(this.name, 'internal', err.message, true);
    }
    for (const ticket of this.tickets) ticket.reject(err);
    this.tickets.clear();
    this.clearLanes();
  }
}
