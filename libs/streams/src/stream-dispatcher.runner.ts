import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import { CATEGORIES, topicFor, type EventCodec } from '@vigil/events';
import { boundedReason, SinkHttpClient, type DeadLetterSender } from '@vigil/connector';
import {
  AuditBatchConsumer,
  NotTheEventsError,
  type DecodedBatch,
  type DecodedMessage,
  type KafkaAdminService,
  type KafkaClient,
} from '@vigil/kafka';
import { createSink } from '@vigil/sinks';
import { CatchUpSlots } from './catch-up-slots.util';
import { toConnectorDefinition } from './stream-definition.mapper';
import { StreamHealthTracker, type StreamMetrics } from './stream-health.util';
import type { StreamSecretCipher } from './stream-secret.codec';
import { checkStreamTargets, guardedLookup } from './stream-target.guard';
import { STREAM_CHANGED_CHANNEL, type StreamHealth, type StreamOffsets, type StreamRepository, type StreamRow } from './stream.repository';
import { StreamWorker, tpOf, type SharedPath, type StreamWorkerOptions, type TopicPartition } from './stream-worker.runner';

export interface StreamDispatcherOptions extends StreamWorkerOptions {
  group: string;
  partitionsConcurrently: number;
  catchUpConcurrency: number;
  /** Of those, at most this many of one tenant (VIGIL_STREAMS_CATCHUP_PER_TENANT). */
  catchUpPerTenant: number;
  reloadIntervalMs: number;
  healthIntervalMs: number;
  allowInsecureHttp: boolean;
  allowPrivateTargets: boolean;
}

export interface StreamDispatcherDeps {
  kafka: KafkaClient;
  admin: KafkaAdminService;
  codec: Pick<EventCodec, 'decode'>;
  deadLetters: DeadLetterSender;
  pool: Pool;
  repository: StreamRepository;
  cipher: StreamSecretCipher;
  metrics: StreamMetrics;
  logger: Logger;
  clock: Clock;
}

/**
 * The streams app's one reader: a consumer group over every audit topic that decodes only the records of tenants
 * with a stream on the shared path, hands each matching event to every stream of its tenant that wants it, and
 * commits a partition batch once each of those streams delivered it or left the shared path with its checkpoint
 * stored. Streams are loaded from PostgreSQL at start, on every change notification and on a timer.
 */
export class StreamDispatcher implements SharedPath {
  private readonly positions = new Map<TopicPartition, bigint>();
  private readonly inFlightSet = new Set<TopicPartition>();
  private readonly workers = new Map<string, StreamWorker>();
  private readonly byTenant = new Map<string, Set<StreamWorker>>();
  /** Streams that cannot run as stored (a key no longer listed, a refused target), by id, with their version. */
  private readonly broken = new Map<string, { version: number; reason: string }>();
  private readonly slots: CatchUpSlots;
  private readonly topics = CATEGORIES.map(topicFor);
  private consumer: AuditBatchConsumer | undefined;
  private listener: PoolClient | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private reloadQueued = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** Set as the shared consumer starts to stop: a batch handled from then on fails, and is read again after a restart. */
  private consumerStopping = false;
  /** One HTTP client (and connection pool) for every stream, resolving names through the SSRF guard. */
  private readonly http: SinkHttpClient;

  constructor(
    private readonly options: StreamDispatcherOptions,
    private readonly deps: StreamDispatcherDeps,
  ) {
    this.slots = new CatchUpSlots(options.catchUpConcurrency, options.catchUpPerTenant);
    const lookup = guardedLookup(options.allowPrivateTargets);
    this.http = new SinkHttpClient(lookup === undefined ? {} : { lookup });
  }

  position(tp: TopicPartition): bigint | undefined {
    return this.positions.get(tp);
  }

  inFlight(tp: TopicPartition): boolean {
    return this.inFlightSet.has(tp);
  }

  partitionsOf(topics: readonly string[]): TopicPartition[] {
    return [...this.positions.keys()].filter((tp) => topics.includes(tp.slice(0, tp.lastIndexOf(':'))));
  }

  /** Streams of this app and their states, for /health and tests. */
  list(): { id: string; tenantId: string; state: string }[] {
    return [...this.workers.values()].map((w) => ({ id: w.id, tenantId: w.identity.tenantId, state: w.health.state }));
  }

  async start(): Promise<void> {
    await this.seedPositions();
    await this.reload();
    await this.listen();
    this.consumer = new AuditBatchConsumer(
      {
        group: this.options.group,
        topics: this.topics,
        fromBeginning: false,
        latestApplies: 'first-start',
        concurrency: this.options.partitionsConcurrently,
        undecodable: 'skip',
        acceptKey: (key) => key !== null && this.wantsTenant(key.toString()),
        // In flight from before decoding to the end of every run of the handler (a bisection runs it several times):
        // a stream must not rejoin a partition whose batch was decoded without its tenant (acceptKey answered while
        // the stream was still off the shared path).
        onBatchStart: (topic, partition, firstOffset) => {
          const tp = tpOf(topic, partition);
          this.inFlightSet.add(tp);
          this.positions.set(tp, firstOffset);
        },
        onBatchEnd: (topic, partition) => this.inFlightSet.delete(tpOf(topic, partition)),
        ...(this.options.sessionTimeoutMs !== undefined && { sessionTimeoutMs: this.options.sessionTimeoutMs }),
      },
      (batch) => this.handle(batch),
      {
        kafka: this.deps.kafka,
        codec: this.deps.codec,
        clock: this.deps.clock,
        logger: this.deps.logger,
        // Undecodable records are the materializer's to dead-letter; an event this reader failed on is this app's own.
        deadLetters: {
          send: (letters) => this.deps.deadLetters.send(letters.map((l) => ({ ...l, detail: `streams (shared reader): ${l.detail}` }))),
        },
      },
    );
    await this.consumer.start();
    await this.consumer.whenJoined();
    this.timers.push(
      setInterval(() => void this.scheduleReload(), this.options.reloadIntervalMs),
      setInterval(() => void this.writeHealth(), this.options.healthIntervalMs),
    );
    for (const timer of this.timers) timer.unref();
    this.deps.logger.info({ group: this.options.group, streams: this.workers.size }, 'streams dispatcher started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.reloading.catch(() => undefined);
    // The consumer stops first, so no batch of it commits from here on (a batch handled after the streams stopped would
    // match no stream and commit past their events); then the streams, whose held batches fail and stay uncommitted,
    // so the consumer's stop, which waits for the batches in flight, does not wait on a SIEM.
    this.consumerStopping = true;
    const consumerStopped = this.consumer?.stop() ?? Promise.resolve();
    consumerStopped.catch(() => undefined); // awaited below, once the streams stopped; not an unhandled rejection meanwhile
    await Promise.all([...this.workers.values()].map((w) => w.stop('shutdown')));
    await consumerStopped;
    await this.writeHealth().catch(() => undefined);
    await this.http.close();
    if (this.listener !== undefined) {
      this.listener.removeAllListeners('notification');
      this.listener.release();
      this.listener = undefined;
    }
  }

  /** Reloads streams now (and once more if a change arrives meanwhile); resolves when the streams run as stored. */
  scheduleReload(): Promise<void> {
    if (this.stopped) return this.reloading;
    if (this.reloadQueued) return this.reloading;
    this.reloadQueued = true;
    this.reloading = this.reloading
      .then(() => {
        this.reloadQueued = false;
        return this.reload();
      })
      .catch((err: Error) => this.deps.logger.error({ err: err.message }, 'reloading streams failed; retrying at the next interval'));
    return this.reloading;
  }

  private wantsTenant(tenantId: string): boolean {
    const workers = this.byTenant.get(tenantId);
    if (workers === undefined) return false;
    for (const w of workers) if (w.state === 'attached' || w.state === 'catching_up') return true;
    return false;
  }

  private async handle(batch: DecodedBatch): Promise<void> {
    if (this.consumerStopping) throw new NotTheEventsError('the streams app is stopping; the batch stays uncommitted');
    const tp = tpOf(batch.topic, batch.partition);
    const matched = new Map<StreamWorker, DecodedMessage[]>();
    for (const message of batch.messages) {
      const workers = this.byTenant.get(message.event.tenantId);
      if (workers === undefined) continue;
      const offset = BigInt(message.origin.offset);
      for (const worker of workers) {
        if (!worker.wants(tp, offset, message.event)) continue;
        const list = matched.get(worker);
        if (list === undefined) matched.set(worker, [message]);
        else list.push(message);
      }
    }
    await Promise.all([...matched].map(([worker, messages]) => worker.take(messages)));
    this.positions.set(tp, batch.nextOffset);
  }

  /** Where the shared reader stands on every partition before it joins: its commits, or the ends on its first start. */
  private async seedPositions(): Promise<void> {
    const committed = await this.deps.admin.committedOffsets(this.options.group, this.topics);
    const never = await this.deps.admin.neverCommitted(this.options.group, this.topics);
    for (const topic of this.topics) {
      for (const { partition, low, high } of await this.deps.admin.watermarks(topic)) {
        const at = committed.get(topic)?.get(partition);
        this.positions.set(tpOf(topic, partition), BigInt(at ?? (never ? high : low)));
      }
    }
  }

  private async listen(): Promise<void> {
    try {
      const client = await this.deps.pool.connect();
      client.on('notification', () => void this.scheduleReload());
      client.on('error', () => {
        this.listener = undefined;
      });
      await client.query(`LISTEN ${STREAM_CHANGED_CHANNEL}`);
      this.listener = client;
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'cannot listen for stream changes; relying on the reload timer');
    }
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    // Versions first: on most reloads nothing changed, and no stream is read in full (nor a secret opened).
    const versions = await this.deps.repository.versions();
    for (const [id, worker] of this.workers) {
      if (versions.has(id)) continue;
      await worker.stop('deleted');
      this.remove(worker);
      this.deps.metrics.forget(id, worker.identity.tenantId);
    }
    for (const id of this.broken.keys()) if (!versions.has(id)) this.broken.delete(id);
    const changed = [...versions].filter(
      ([id, version]) => this.workers.get(id)?.identity.version !== version && this.broken.get(id)?.version !== version,
    );
    if (changed.length === 0) return;
    const rows = await this.deps.repository.getMany(changed.map(([id]) => id));
    const withOffsets = await this.deps.repository.streamsWithOffsets();
    const health = await this.deps.repository.health(rows.filter((r) => !this.workers.has(r.id)).map((r) => r.id));
    for (const row of rows) {
      const current = this.workers.get(row.id);
      if (current?.identity.version === row.version || this.broken.get(row.id)?.version === row.version) continue;
      if (current !== undefined) {
        await current.retire();
        this.remove(current);
      }
      await this.startWorker(row, withOffsets.has(row.id) || current !== undefined, health.get(row.id));
    }
  }

  private async startWorker(row: StreamRow, hasOffsets: boolean, stored: StreamHealth | undefined): Promise<void> {
    const tracker = new StreamHealthTracker(row.id, row.tenantId, this.deps.metrics, () => this.deps.clock.now());
    if (stored !== undefined) tracker.seed(stored);
    let worker: StreamWorker;
    try {
      const secrets = row.secrets === undefined ? {} : this.deps.cipher.open(row.id, row.secrets);
      const definition = toConnectorDefinition(
        { id: row.id, tenantId: row.tenantId, type: row.type, config: row.config, secrets },
        { allowInsecureHttp: this.options.allowInsecureHttp },
      );
      if (row.enabled) await checkStreamTargets(definition.settings, this.options.allowPrivateTargets);
      const sink = createSink(definition, this.deps.logger.child({ stream: row.id }), this.http);
      worker = new StreamWorker(
        { id: row.id, tenantId: row.tenantId, version: row.version },
        definition,
        sink,
        { ...this.deps, shared: this, catchUps: this.slots, options: this.options },
        tracker,
      );
    } catch (err) {
      const reason = boundedReason((err as Error).message);
      this.broken.set(row.id, { version: row.version, reason });
      tracker.setState('failing', `cannot start: ${reason}`);
      tracker.recordFailure(row.id, 'config', reason);
      await this.deps.repository.saveHealth([tracker.snapshot(row.id)]);
      this.deps.logger.error({ stream: row.id, tenant: row.tenantId, reason }, 'stream cannot start');
      return;
    }
    this.broken.delete(row.id);
    this.workers.set(row.id, worker);
    const tenant = this.byTenant.get(row.tenantId) ?? new Set<StreamWorker>();
    tenant.add(worker);
    this.byTenant.set(row.tenantId, tenant);
    const checkpoint: StreamOffsets = hasOffsets ? await this.deps.repository.offsets(row.id) : new Map<string, Map<number, bigint>>();
    const replayFrom =
      row.replayFrom !== undefined && row.replayRequestedAt !== undefined ? await this.offsetsAt(row.replayFrom) : undefined;
    await worker.start({
      checkpoint,
      paused: !row.enabled,
      suspended: row.suspendedAt === undefined ? undefined : (row.suspendedReason ?? 'suspended'),
      ...(replayFrom !== undefined && { replayFrom }),
    });
    if (row.replayRequestedAt !== undefined) await this.deps.repository.replayTaken(row.id, row.replayRequestedAt);
  }

  private async offsetsAt(time: Date): Promise<StreamOffsets> {
    const offsets: StreamOffsets = new Map();
    for (const topic of this.topics) {
      const at = await this.deps.admin.offsetsAt(topic, time.getTime());
      offsets.set(topic, new Map([...at].map(([p, o]) => [p, BigInt(o)])));
    }
    return offsets;
  }

  private remove(worker: StreamWorker): void {
    this.workers.delete(worker.id);
    const tenant = this.byTenant.get(worker.identity.tenantId);
    tenant?.delete(worker);
    if (tenant?.size === 0) this.byTenant.delete(worker.identity.tenantId);
  }

  private async writeHealth(): Promise<void> {
    try {
      const high = new Map<TopicPartition, bigint>();
      for (const topic of this.topics)
        for (const { partition, high: end } of await this.deps.admin.watermarks(topic)) {
          const tp = tpOf(topic, partition);
          high.set(tp, BigInt(end));
          if (!this.positions.has(tp)) this.positions.set(tp, BigInt(end)); // a partition added since start
        }
      for (const worker of this.workers.values()) worker.measureLag(high);
      await this.deps.repository.saveHealth([...this.workers.values()].map((w) => w.health.snapshot(w.id)));
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'stream health not written this time');
    }
  }
}
