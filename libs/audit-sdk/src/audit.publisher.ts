import { hostname } from 'node:os';
import { asError, laneOf } from '@vigil/common';
import pino, { type Logger } from 'pino';
import {
  kafkaConnectionOf,
  registryConnectionOf,
  type KafkaSecurity,
  type KafkaSecurityConfig,
  type RegistrySecurityConfig,
  type TlsSettings,
} from '@vigil/config';
import {
  EventCodec,
  EventValidationException,
  misspeltFieldIssues,
  sanitizeStrings,
  topicFor,
  UNSTORABLE_TEXT_RULE,
  validateEvent,
  type AuditEvent,
  type Category,
} from '@vigil/events';
import {
  createKafka,
  KafkaProducer,
  KafkaProducerException,
  RECORD_BATCH_OVERHEAD,
  recordBytes,
  RegistryHttpClient,
  standardLevel,
  ThreadedKafkaProducer,
  type KafkaClient,
  type KafkaClientOptions,
  type KafkaProducerOptions,
  type OutgoingMessage,
} from '@vigil/kafka';
import type { AuditEventInput, UntypedAuditEventInput } from './audit-event.input';
import { PublishErrorCode, PublishException } from './audit-sdk.exception';
import { completeFields, type ServiceIdentity } from './event.normalizer';

/**
 * Where the publisher sends: brokers (it opens its own connection), or a client the app already holds
 * (`KAFKA` from KafkaModule, or `createKafka`), so the SDK's types never name the Kafka client library.
 */
export type AuditKafkaOptions = { brokers: readonly string[]; clientId?: string; security?: KafkaSecurity } | { client: KafkaClient };

export interface AuditPublisherOptions {
  kafka: AuditKafkaOptions;
  schemaRegistry:
    | { url: string; username?: string | undefined; password?: string | undefined; tls?: TlsSettings | undefined }
    | { client: RegistryHttpClient };
  /** The emitting service; host defaults to the machine's hostname. */
  service: { name: string; version?: string | null; host?: string | null };
  batch?: {
    /** Events per produce request (default 5,000). */
    maxEvents?: number;
    /**
     * Bytes per produce request as the broker counts them: every record with its key, headers and framing, plus
     * the record batch's header (default 900 KiB, under the broker's 1 MiB message.max.bytes even if one partition
     * gets them all). A request the broker still refuses as too large is split and sent again, never failed.
     */
    maxBytes?: number;
    /**
     * How long an event waits for company before it is sent (default 5 ms), counted from when it was queued: a lane
     * sends once its oldest event has waited this long, or at once when it holds maxEvents or maxBytes, or on flush().
     * Also after a request returns: at a steady rate each request then carries about this long's events rather than
     * the few that came in during one round trip (Kafka's own `linger.ms`, whose default is 5 ms too).
     */
    lingerMs?: number;
    /** Events queued at most; publish() waits for room beyond this (default 10,000). */
    maxQueued?: number;
    /**
     * Produce requests in flight at once (default 3). Each tenant's events always travel in the same one of these
     * lanes, one request at a time, so a tenant's events stay in order even when a request is sent again; different
     * tenants' requests overlap. 1 sends every request after the previous one was acknowledged.
     */
    maxInFlight?: number;
  };
  /**
   * Produce on a worker thread of the publisher's own (default false): kafkajs' encoding of record batches and its
   * sockets (25-40 µs of CPU per event here, three to four times what validating and encoding an event costs) leave
   * the thread that calls publish(). Needs `kafka.brokers`: the thread opens its own connections, and a kafkajs
   * client made on this thread cannot move to it. Worth it where the service's event loop is busy and a second core
   * is there; on one core it only adds the hand-over (docs/sdk.md, "Producing on a thread of its own").
   */
  producerThread?: boolean;
  /**
   * `refuse`: an input key that looks like a misspelt field the object lacks (`clinet`, `actor.nmae`, `tiem`: the rule
   * is misspeltFieldIssues') makes the event invalid, instead of being left out of it with the field it meant. For
   * sources written by hand for Vigil: the CLI's files use it (the ingest gateway checks its envelopes itself, before
   * it fills in a time). `ignore` (the default) leaves every key the schema does not have out, as completion always
   * did: a typed caller may hand over an object made for something else (`actor: user`, with its `email` and perhaps a
   * `role`), and TypeScript already refuses a misspelt field written in place.
   */
  misspeltFields?: 'refuse' | 'ignore';
  /** kafkajs retry policy for transient broker errors (default: 8 retries, up to 30 s apart). */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  compression?: 'none' | 'gzip';
  logger?: Logger;
}

/** The variables of an app's validated environment that say where Kafka and the registry are (kafkaEnv, registryEnv). */
export interface StackAddresses extends KafkaSecurityConfig, RegistrySecurityConfig {
  KAFKA_BROKERS: readonly string[];
  SCHEMA_REGISTRY_USERNAME?: string | undefined;
  SCHEMA_REGISTRY_PASSWORD?: string | undefined;
}

/** The publisher's Kafka and registry options from an app's environment, so every app connects the same way. */
export function connectionOf(env: StackAddresses, clientId: string): Pick<AuditPublisherOptions, 'kafka' | 'schemaRegistry'> {
  return {
    kafka: kafkaConnectionOf(env, clientId),
    schemaRegistry: registryConnectionOf(env),
  };
}

/** Where and as whom the producer connects, the same on the publishing thread and on a producer thread. */
function clientOptions(
  kafka: Exclude<AuditKafkaOptions, { client: KafkaClient }>,
  serviceName: string,
): Pick<KafkaClientOptions, 'brokers' | 'clientId' | 'security'> {
  return { brokers: kafka.brokers, clientId: kafka.clientId ?? serviceName, security: kafka.security };
}

interface Pending {
  /** The call this event came with: settled once all its events were acknowledged, or at its first failure. */
  call: Call;
  event: AuditEvent;
  /** performance.now() when it was queued: the lane's linger counts from its oldest event. */
  queuedAt: number;
  message: OutgoingMessage;
  /** recordBytes(message): its size on the wire. */
  bytes: number;
  topic: string;
}

/**
 * Publishes audit events to Kafka: validated against the Avro schema and the catalog before anything
 * is sent, coalesced into batched produce requests (acks=-1, sent again whole on a passing failure), and resolved only
 * once Kafka acknowledged them. A full queue makes publish() wait (backpressure); nothing is dropped.
 */
export class AuditPublisher {
  private readonly codec: EventCodec;
  private readonly producer: Pick<KafkaProducer, 'connect' | 'sendBatch' | 'disconnect'>;
  private readonly service: ServiceIdentity;
  private readonly logger: Logger;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  private readonly maxQueued: number;
  private readonly compression: 'none' | 'gzip';
  private readonly refuseMisspelt: boolean;
  /** One queue per lane; a tenant's lane is fixed (laneOf), so its events are sent in the order they were queued. */
  private readonly lanes: Lane[];
  /** Events queued in every lane (maxQueued bounds the sum). */
  private queued = 0;
  /**
   * Calls waiting for room, oldest first (a linked list: a burst can leave 100,000 of them). While any waits, every
   * later call waits behind it: room goes in call order, and so a tenant's events are queued in call order.
   */
  private lineHead: Call | undefined;
  private lineTail: Call | undefined;
  /**
   * Calls held back for their categories' schema ids (the registry), or behind an earlier held call of one of their
   * tenants, oldest first. Only those tenants wait: other tenants' calls go on past them.
   */
  private readonly held = new Map<string, HeldQueue>();
  /** Calls held (each once, whatever its number of tenants). */
  private heldCalls = 0;
  /** Numbers the calls in the order they were made (to tell which held calls came after a failed one). */
  private calls = 0;
  private connected: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: AuditPublisherOptions) {
    this.logger = options.logger ?? pino({ level: 'warn' });
    const registry = 'client' in options.schemaRegistry ? options.schemaRegistry.client : new RegistryHttpClient(options.schemaRegistry);
    this.codec = new EventCodec(registry, { schemaIds: 'register' });
    const lanes = Math.floor(batchSetting(options.batch, 'maxInFlight', 3, 1, { finite: true }));
    const producerOptions: KafkaProducerOptions = {
      // One request in flight per lane, never more on a connection than there are lanes: each tenant's events stay in
      // order across retries (KafkaProducer retries a failed request whole; a copy written twice is dropped downstream
      // by its event id), while the lanes' requests overlap on the wire and on the broker.
      maxInFlightRequests: lanes,
      retry: {
        retries: options.retry?.retries ?? 8,
        initialRetryTime: options.retry?.initialRetryTime ?? 300,
        maxRetryTime: options.retry?.maxRetryTime ?? 30_000,
      },
    };
    if (options.producerThread === true) {
      if ('client' in options.kafka) {
        throw new Error('producerThread needs kafka.brokers: the thread opens its own connections, and a kafkajs client cannot move to it');
      }
      this.producer = new ThreadedKafkaProducer(
        {
          client: { ...clientOptions(options.kafka, options.service.name), retry: options.retry ?? {} },
          producer: producerOptions,
          logLevel: standardLevel(this.logger.levelVal),
        },
        this.logger,
      );
    } else {
      const kafka =
        'client' in options.kafka
          ? options.kafka.client
          : createKafka({ ...clientOptions(options.kafka, options.service.name), overrides: { retry: options.retry ?? {} } }, this.logger);
      this.producer = new KafkaProducer(kafka, producerOptions);
    }
    this.service = { name: options.service.name, version: options.service.version ?? null, host: options.service.host ?? hostname() };
    this.maxEvents = batchSetting(options.batch, 'maxEvents', 5000, 1);
    this.maxBytes = batchSetting(options.batch, 'maxBytes', 900 * 1024, 1);
    this.lingerMs = batchSetting(options.batch, 'lingerMs', 5, 0, { finite: true });
    this.maxQueued = Math.max(batchSetting(options.batch, 'maxQueued', 10_000, 1), this.maxEvents);
    this.compression = options.compression ?? 'none';
    this.refuseMisspelt = options.misspeltFields === 'refuse';
    this.lanes = Array.from({ length: lanes }, (_, index) => new Lane(index));
  }

  /** Connects the producer (publish() also connects on first use). */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw new PublishException(PublishErrorCode.KAFKA_UNAVAILABLE, `cannot connect to Kafka: ${(err as Error).message}`, { cause: err });
    });
    return this.connected;
  }

  /**
   * Validates, completes and publishes one event; resolves with the event as stored once Kafka
   * acknowledged it (acks=-1). Rejects with EventValidationException (nothing sent) or PublishException.
   */
  publish(input: AuditEventInput | UntypedAuditEventInput): Promise<AuditEvent> {
    // Not an async function: a burst of calls makes one promise each; a thrown error still comes back as a rejection.
    let event: AuditEvent;
    try {
      event = this.prepare(input);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return this.submitOne(event);
  }

  /**
   * Publishes several events, all validated (and encoded) first: if any is invalid, none is sent. Resolves once all
   * were acknowledged; rejects at the first that was not (the others may have been written: publishing them again is
   * safe, a copy is dropped downstream by its event id).
   */
  async publishMany(inputs: readonly (AuditEventInput | UntypedAuditEventInput)[]): Promise<AuditEvent[]> {
    const events = inputs.map((input, index) => {
      try {
        return this.prepare(input);
      } catch (err) {
        if (err instanceof EventValidationException) {
          throw new EventValidationException(err.issues.map((i) => ({ path: `[${index}].${i.path}`, rule: i.rule })));
        }
        throw err;
      }
    });
    return this.submitAll(events);
  }

  /**
   * Publishes events that are already complete (an outbox row, a redriven dead letter) exactly as
   * they are, ids and times included, after validating them. All are validated before any is sent.
   */
  async publishComplete(events: readonly AuditEvent[]): Promise<AuditEvent[]> {
    if (this.closed) throw new PublishException(PublishErrorCode.CLOSED, 'the publisher is closed');
    events.forEach((event, index) => {
      const issues = validateEvent(event);
      if (issues.length > 0) throw new EventValidationException(issues.map((i) => ({ path: `[${index}].${i.path}`, rule: i.rule })));
    });
    return this.submitAll(events);
  }

  /**
   * Sends an event prepare() returned (validated and complete), without validating it again: a gateway validates each
   * event of a request on its own, answers for the invalid ones, and sends the rest. Resolves once Kafka acknowledged.
   */
  async publishPrepared(event: AuditEvent): Promise<AuditEvent> {
    if (this.closed) throw new PublishException(PublishErrorCode.CLOSED, 'the publisher is closed');
    return this.submitOne(event);
  }

  /**
   * Resolves once every event published so far was acknowledged or rejected, also those of calls still waiting for a
   * schema id or for room.
   */
  async flush(): Promise<void> {
    if (this.idle()) return;
    for (const lane of this.lanes) this.scheduleSend(lane, 0);
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Delivers everything queued, then disconnects. Later publish() calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    // Also when never connected: a producer thread started by a connect that failed is ended too.
    await this.producer.disconnect();
    this.connected = undefined;
  }

  /** The complete, validated event for an input (throws EventValidationException). */
  prepare(input: AuditEventInput | UntypedAuditEventInput): AuditEvent {
    if (this.closed) throw new PublishException(PublishErrorCode.CLOSED, 'the publisher is closed');
    const complete = completeFields(input, this.service);
    // Completion leaves unknown keys out of the event: a misspelt one is looked for in the input.
    const misspelt = this.refuseMisspelt ? misspeltFieldIssues(input, complete.category) : [];
    let issues = validateEvent(complete);
    if (issues.length === 0 && misspelt.length === 0) return complete;
    let event = complete;
    // Text is sanitised, not refused (sanitizeText): when the validator found some to mend, the mended event is checked
    // again (U+FFFD takes more bytes than what it replaces).
    if (issues.some((i) => i.rule === UNSTORABLE_TEXT_RULE)) {
      event = sanitizeStrings(complete);
      issues = validateEvent(event);
    }
    if (issues.length > 0 || misspelt.length > 0) throw new EventValidationException([...issues, ...misspelt]);
    return event;
  }

  private submitOne(event: AuditEvent): Promise<AuditEvent> {
    return new Promise((resolve, reject) => this.submit(new Call([event], (err) => (err === undefined ? resolve(event) : reject(err)))));
  }

  private submitAll(events: readonly AuditEvent[]): Promise<AuditEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) =>
      this.submit(new Call(events, (err) => (err === undefined ? resolve([...events]) : reject(err)))),
    );
  }

  /**
   * Takes a call's events towards the lanes. When its categories' schema ids are known and no earlier call of its
   * tenants is held, it is encoded and queued in place, without a promise of its own, as far as there is room and no
   * earlier call waits for room; the rest waits for room in the line. Otherwise it is held until the registry answered
   * and the earlier calls of its tenants went on (release).
   */
  private submit(call: Call): void {
    const encoded = this.encodeKnown(call);
    if (encoded && !this.holdsAny(call)) {
      this.toLine(call);
      return;
    }
    call.seq = ++this.calls;
    call.held = true;
    this.heldCalls++;
    for (const tenant of call.tenants()) {
      let queue = this.held.get(tenant);
      if (queue === undefined) this.held.set(tenant, (queue = new HeldQueue()));
      queue.push(call);
    }
    if (!encoded) void this.encodeLater(call);
  }

  /** Whether an earlier call of one of the call's tenants is held. */
  private holdsAny(call: Call): boolean {
    if (this.held.size === 0) return false;
    return call.events.some((e) => this.held.has(e.tenantId));
  }

  /** Queues the call's events as far as there is room and no earlier call waits for room; the rest waits in the line. */
  private toLine(call: Call): void {
    if (this.lineHead === undefined) {
      this.take(call);
      if (call.taken === call.events.length) return;
    }
    if (this.lineTail === undefined) this.lineHead = call;
    else this.lineTail.next = call;
    this.lineTail = call;
  }

  /**
   * Encodes the call's events if every category's schema id is known: false if one is not. A call whose encoding fails
   * is failed whole, none of its events sent (it then counts as encoded).
   */
  private encodeKnown(call: Call, ids?: ReadonlyMap<Category, number>): boolean {
    const idOf = (category: Category) => ids?.get(category) ?? this.codec.knownSchemaId(category);
    if (call.events.some((e) => idOf(e.category) === undefined)) return false;
    try {
      call.values = call.events.map((e) => this.codec.encodeWithId(idOf(e.category) as number, e));
    } catch (err) {
      call.fail(asError(err));
    }
    return true;
  }

  /** Asks the registry for the call's schema ids (registering them, all at once), then encodes it and releases. */
  private async encodeLater(call: Call): Promise<void> {
    try {
      const categories = [...new Set(call.events.map((e) => e.category))];
      const ids = await Promise.all(categories.map((category) => this.codec.schemaId(category)));
      if (!call.settled && !this.encodeKnown(call, new Map(categories.map((category, i) => [category, ids[i] as number])))) {
        throw new Error(`the registry answered no schema id for ${categories.join(', ')}`);
      }
    } catch (err) {
      if (!call.settled) {
        call.fail(new PublishException(PublishErrorCode.REGISTRY_UNAVAILABLE, (err as Error).message, { cause: err }));
        this.failHeldBehind([call]);
      }
    }
    this.release([call]);
  }

  /**
   * Fails the held calls made after these failed ones that share a tenant with them, or with a call failed so: they
   * were made before the failure was known (this runs before any caller hears of it), and sending them could put them
   * on Kafka ahead of the failed calls' retry.
   */
  private failHeldBehind(failed: readonly Call[]): void {
    const since = new Map<string, number>();
    const work: Call[] = [...failed];
    for (let call = work.pop(); call !== undefined; call = work.pop()) {
      const error = call.error as Error;
      for (const tenant of call.tenants()) {
        const from = since.get(tenant);
        if (from !== undefined && from <= call.seq) continue;
        since.set(tenant, call.seq);
        for (const later of this.held.get(tenant)?.items() ?? []) {
          if (later.seq <= call.seq || later.settled) continue;
          later.fail(error);
          work.push(later);
        }
      }
    }
  }

  /**
   * Moves held calls on: one that is encoded (or failed) and first in the held queue of each of its tenants goes to the
   * line, and the calls that were behind it are looked at in turn. Only the chains of these calls are walked.
   */
  private release(start: readonly Call[]): void {
    const work = [...start];
    for (let call = work.pop(); call !== undefined; call = work.pop()) {
      if (!call.held || (!call.settled && call.values === undefined)) continue;
      const tenants = call.tenants();
      if (!tenants.every((tenant) => this.held.get(tenant)?.first() === call)) continue;
      call.held = false;
      this.heldCalls--;
      for (const tenant of tenants) {
        const queue = this.held.get(tenant) as HeldQueue;
        queue.shift();
        const next = queue.first();
        if (next === undefined) this.held.delete(tenant);
        else work.push(next);
      }
      this.toLine(call);
    }
    this.wakeIdleWaitersIfIdle();
  }

  /** Moves the calls at the head of the line into the lanes while there is room. */
  private drainLine(): void {
    for (let call = this.lineHead; call !== undefined; call = this.lineHead) {
      this.take(call);
      if (call.taken < call.events.length) break; // no room
      this.lineHead = call.next;
      call.next = undefined;
      if (this.lineHead === undefined) this.lineTail = undefined;
    }
    this.wakeIdleWaitersIfIdle();
  }

  /** Queues as many of an encoded call's events as there is room for. A failed call's remaining events are dropped. */
  private take(call: Call): void {
    const { events, values } = call;
    if (call.settled) {
      call.taken = events.length;
      return;
    }
    if (values === undefined) return;
    while (call.taken < events.length && this.queued < this.maxQueued) {
      const i = call.taken++;
      try {
        this.enqueue(call, events[i] as AuditEvent, values[i] as Buffer);
      } catch (err) {
        // Never expected (the event was validated and encoded); still, the call settles rather than waiting forever.
        call.fail(asError(err));
        call.taken = events.length;
      }
    }
  }

  /** Puts an encoded event in its tenant's lane (room was checked by the caller). */
  private enqueue(call: Call, event: AuditEvent, value: Buffer): void {
    const message: OutgoingMessage = { key: event.tenantId, value, headers: { 'vigil-event-id': event.id } };
    const bytes = recordBytes(message);
    const lane = this.lanes[laneOf(event.tenantId, this.lanes.length)] as Lane;
    lane.queue.push({ call, event, queuedAt: performance.now(), topic: topicFor(event.category), message, bytes });
    lane.queuedBytes += bytes;
    this.queued++;
    this.scheduleSend(lane, this.lingerLeft(lane));
  }

  private scheduleSend(lane: Lane, delayMs: number): void {
    if (lane.sending) return; // the running loop picks the queue up when its request returns
    if (lane.queue.length === 0) return;
    const dueAt = performance.now() + delayMs;
    if (lane.timer !== undefined) {
      // A pending timer that fires no later stays. Re-arming it on every publish() would push it back each time: under
      // a steady stream of calls a lane's timer never came due, and its events waited for a pause in the calls.
      if (lane.dueAt <= dueAt) return;
      clearTimeout(lane.timer);
    }
    lane.dueAt = dueAt;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      void this.sendLoop(lane);
    }, delayMs);
  }

  /**
   * How long the lane's queue may still wait before it is sent (ms): 0 once it holds a full request, once its oldest
   * event has lingered lingerMs, while a flush() waits, or while publish() calls wait for room.
   */
  private lingerLeft(lane: Lane): number {
    const oldest = lane.queue[0];
    if (oldest === undefined) return 0;
    // A full queue cannot grow: lingering would only idle while calls wait for room (Kafka sends at once then too).
    if (
      lane.queue.length >= this.maxEvents ||
      lane.queuedBytes >= this.maxBytes ||
      this.idleWaiters.length > 0 ||
      this.queued >= this.maxQueued
    )
      return 0;
    return Math.max(0, this.lingerMs - (performance.now() - oldest.queuedAt));
  }

  private async sendLoop(lane: Lane): Promise<void> {
    if (lane.sending) return;
    lane.sending = true;
    try {
      // The first request goes now (its linger ran out, or it was asked for); after a request returns, what queued
      // meanwhile lingers the rest of its time, as it would have on an idle lane.
      let first = true;
      while (lane.queue.length > 0 && (first || this.lingerLeft(lane) < 1)) {
        first = false;
        const batch = this.takeBatch(lane);
        this.drainLine();
        await this.sendBatch(lane, batch);
      }
    } finally {
      lane.sending = false;
      if (lane.queue.length > 0) this.scheduleSend(lane, this.lingerLeft(lane));
      else this.wakeIdleWaitersIfIdle();
    }
  }

  /**
   * The lane's oldest queued events up to maxEvents and maxBytes on the wire (at least one, whatever its size). The
   * bound holds even if every record lands in one partition's batch, the worst case for message.max.bytes.
   */
  private takeBatch(lane: Lane): Pending[] {
    let count = 0;
    let bytes = RECORD_BATCH_OVERHEAD;
    for (const p of lane.queue) {
      if (count > 0 && (count >= this.maxEvents || bytes + p.bytes > this.maxBytes)) break;
      count++;
      bytes += p.bytes;
    }
    lane.queuedBytes -= bytes - RECORD_BATCH_OVERHEAD;
    this.queued -= count;
    return lane.queue.splice(0, count);
  }

  private async sendBatch(lane: Lane, batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, [p.message]);
      else list.push(p.message);
    }
    try {
      await this.connect();
      await this.producer.sendBatch(
        [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        { acks: -1, compression: this.compression },
      );
      for (const p of batch) p.call.acked();
    } catch (err) {
      const failure =
        err instanceof PublishException
          ? err
          : err instanceof KafkaProducerException
            ? new PublishException(PublishErrorCode.EVENT_TOO_LARGE, `Kafka refused ${batch.length} event(s): ${err.message}`, {
                cause: err,
              })
            : new PublishException(
                PublishErrorCode.KAFKA_UNAVAILABLE,
                `Kafka did not acknowledge ${batch.length} event(s): ${(err as Error).message}`,
                {
                  cause: err,
                },
              );
      // Everything queued behind the failed batch in its lane is rejected too, and so are the calls still in line with
      // an event for this lane: sending them now could put a tenant's later events on Kafka before the earlier ones
      // its caller is about to retry. Other lanes' tenants go on.
      const behind = lane.queue.splice(0, lane.queue.length);
      lane.queuedBytes = 0;
      this.queued -= behind.length;
      this.logger.error({ err: failure.message, events: batch.length + behind.length }, 'audit publish failed');
      for (const p of batch) p.call.fail(failure);
      for (const p of behind) p.call.fail(failure);
      const forLane = (call: Call) =>
        !call.settled && call.events.some((e, i) => i >= call.taken && laneOf(e.tenantId, this.lanes.length) === lane.index);
      for (let call = this.lineHead; call !== undefined; call = call.next) if (forLane(call)) call.fail(failure);
      const heldForLane = [...new Set([...this.held.values()].flatMap((queue) => queue.items()))].filter(forLane);
      for (const call of heldForLane) call.fail(failure);
      this.failHeldBehind(heldForLane);
      this.drainLine();
      this.release(heldForLane);
    }
  }

  /** True when nothing is queued, in flight, waiting for room or held. */
  private idle(): boolean {
    return this.lineHead === undefined && this.heldCalls === 0 && this.lanes.every((lane) => lane.idle());
  }

  private wakeIdleWaitersIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.idle()) this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * One call of publish(), publishMany(), publishComplete() or publishPrepared() on its way: its events enter the lanes
 * in order, and its promise settles once all were acknowledged, or at the first failure.
 */
class Call {
  /** The events' encoded values, once each category's schema id is known. */
  values: Buffer[] | undefined;
  /** How many of the events are in a lane (or were sent). */
  taken = 0;
  /** The next call in the publisher's line. */
  next: Call | undefined;
  /** Why the call failed, once it did. */
  error: Error | undefined;
  /** Held for a schema id or behind an earlier held call of one of its tenants (the publisher's `held`). */
  held = false;
  /** Its place in the order of the calls, set when it is held. */
  seq = 0;
  private unsettled: number;
  private tenantIds: readonly string[] | undefined;

  constructor(
    readonly events: readonly AuditEvent[],
    private readonly settle: (err?: Error) => void,
  ) {
    this.unsettled = events.length;
  }

  /** Settled: every event acknowledged, or the call failed. */
  get settled(): boolean {
    return this.unsettled === 0;
  }

  acked(): void {
    if (this.unsettled > 0 && --this.unsettled === 0) this.settle();
  }

  fail(err: Error): void {
    if (this.unsettled === 0) return;
    this.unsettled = 0;
    this.error = err;
    this.settle(err);
  }

  /** The tenants of its events, each once. */
  tenants(): readonly string[] {
    this.tenantIds ??=
      this.events.length === 1 ? [(this.events[0] as AuditEvent).tenantId] : [...new Set(this.events.map((e) => e.tenantId))];
    return this.tenantIds;
  }
}

/**
 * A batch setting: a number, at least `min`, and finite where it must be (a linger or a count of lanes); NaN would
 * misbehave silently (a NaN linger made every timer 1 ms, a NaN maxInFlight left no lane), so it fails here instead.
 */
function batchSetting(
  batch: AuditPublisherOptions['batch'],
  key: keyof NonNullable<AuditPublisherOptions['batch']>,
  fallback: number,
  min: number,
  { finite = false }: { finite?: boolean } = {},
): number {
  const value = batch?.[key] ?? fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (finite && !Number.isFinite(value))) {
    throw new RangeError(`batch.${key} must be a ${finite ? 'finite ' : ''}number of at least ${min}, got ${String(value)}`);
  }
  return value;
}

/** A tenant's held calls, oldest first (a head index: a tenant can have thousands held while the registry is slow). */
class HeldQueue {
  private calls: Call[] = [];
  private head = 0;

  push(call: Call): void {
    this.calls.push(call);
  }

  first(): Call | undefined {
    return this.calls[this.head];
  }

  shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.calls.length) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
  }

  items(): readonly Call[] {
    return this.calls.slice(this.head);
  }
}

/** One ordered queue of the publisher, with at most one produce request in flight. */
class Lane {
  queue: Pending[] = [];
  /** recordBytes of the queued events. */
  queuedBytes = 0;
  sending = false;
  timer: NodeJS.Timeout | undefined;
  /** performance.now() at which the pending timer is due. */
  dueAt = 0;

  constructor(readonly index: number) {}

  idle(): boolean {
    return this.queue.length === 0 && !this.sending;
  }
}
