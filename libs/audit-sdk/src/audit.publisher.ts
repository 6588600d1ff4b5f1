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
  event: AuditEvent;
  /** performance.now() when it was queued: the lane's linger counts from its oldest event. */
  queuedAt: number;
  message: OutgoingMessage;
  /** recordBytes(message): its size on the wire. */
  bytes: number;
  topic: string;
  resolve: (event: AuditEvent) => void;
  reject: (err: Error) => void;
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
  /** Calls waiting for a schema id or for room (enqueueInLine): while there are any, later calls queue behind them. */
  private inLine = 0;
  private connected: Promise<void> | undefined;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(options: AuditPublisherOptions) {
    this.logger = options.logger ?? pino({ level: 'warn' });
    const registry = 'client' in options.schemaRegistry ? options.schemaRegistry.client : new RegistryHttpClient(options.schemaRegistry);
    this.codec = new EventCodec(registry, { schemaIds: 'register' });
    const lanes = Math.max(1, Math.floor(options.batch?.maxInFlight ?? 3));
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
    this.maxEvents = options.batch?.maxEvents ?? 5000;
    this.maxBytes = options.batch?.maxBytes ?? 900 * 1024;
    this.lingerMs = options.batch?.lingerMs ?? 5;
    this.maxQueued = Math.max(options.batch?.maxQueued ?? 10_000, this.maxEvents);
    this.compression = options.compression ?? 'none';
    this.refuseMisspelt = options.misspeltFields === 'refuse';
    this.lanes = Array.from({ length: lanes }, () => new Lane());
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
    // Not an async function: a burst of calls makes one promise each, not three (the call's, the encode's, the
    // queue's); a thrown error still comes back as a rejection.
    let event: AuditEvent;
    try {
      event = this.prepare(input);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return this.encodeAndEnqueue(event);
  }

  /** Publishes several events, all validated first: if any is invalid, none is sent. */
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
    const encoded = await Promise.all(events.map((e) => this.encode(e)));
    return Promise.all(events.map((e, i) => this.enqueueInLine(e, encoded[i])));
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
    const encoded = await Promise.all(events.map((e) => this.encode(e)));
    return Promise.all(events.map((e, i) => this.enqueueInLine(e, encoded[i])));
  }

  /**
   * Sends an event prepare() returned (validated and complete), without validating it again: a gateway validates each
   * event of a request on its own, answers for the invalid ones, and sends the rest. Resolves once Kafka acknowledged.
   */
  async publishPrepared(event: AuditEvent): Promise<AuditEvent> {
    if (this.closed) throw new PublishException(PublishErrorCode.CLOSED, 'the publisher is closed');
    return this.encodeAndEnqueue(event);
  }

  /** Resolves once every event published so far was acknowledged or rejected. */
  async flush(): Promise<void> {
    if (this.lanes.every((lane) => lane.idle())) return;
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

  private async encode(event: AuditEvent): Promise<Buffer> {
    let schemaId: number;
    try {
      schemaId = await this.codec.schemaId(event.category);
    } catch (err) {
      throw new PublishException(PublishErrorCode.REGISTRY_UNAVAILABLE, (err as Error).message, { cause: err });
    }
    return this.codec.encodeWithId(schemaId, event);
  }

  /**
   * Encodes and queues a complete event. At once, without a promise of its own, when its category's schema id is known,
   * there is room, and no earlier call is still on its way into the queue; otherwise behind those, as every call went
   * before (so a tenant's events are queued in the order of the calls either way).
   */
  private encodeAndEnqueue(event: AuditEvent): Promise<AuditEvent> {
    const schemaId = this.inLine === 0 && this.queued < this.maxQueued ? this.codec.knownSchemaId(event.category) : undefined;
    if (schemaId === undefined) return this.enqueueInLine(event);
    let value: Buffer;
    try {
      value = this.codec.encodeWithId(schemaId, event);
    } catch (err) {
      return Promise.reject(asError(err));
    }
    return this.enqueue(event, value);
  }

  /** Waits for the schema id (unless encoded already) and for room, then queues; later calls wait behind it (inLine). */
  private async enqueueInLine(event: AuditEvent, encoded?: Buffer): Promise<AuditEvent> {
    this.inLine++;
    let value: Buffer;
    try {
      value = encoded ?? (await this.encode(event));
      while (this.queued >= this.maxQueued) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    } finally {
      this.inLine--;
    }
    return this.enqueue(event, value); // in the same turn as the decrement: no later call can be queued in between
  }

  /** Puts an encoded event in its tenant's lane (room was checked by the caller). */
  private enqueue(event: AuditEvent, value: Buffer): Promise<AuditEvent> {
    return new Promise<AuditEvent>((resolve, reject) => {
      const topic = topicFor(event.category);
      const message: OutgoingMessage = { key: event.tenantId, value, headers: { 'vigil-event-id': event.id } };
      const bytes = recordBytes(message);
      const lane = this.lanes[laneOf(event.tenantId, this.lanes.length)] as Lane;
      lane.queue.push({ event, queuedAt: performance.now(), topic, message, bytes, resolve, reject });
      lane.queuedBytes += bytes;
      this.queued++;
      this.scheduleSend(lane, this.lingerLeft(lane));
    });
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
    // Calls waiting for room cannot join a capped queue: lingering would only idle (Kafka sends at once then too).
    if (
      lane.queue.length >= this.maxEvents ||
      lane.queuedBytes >= this.maxBytes ||
      this.idleWaiters.length > 0 ||
      this.roomWaiters.length > 0
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
        this.wakeRoomWaiters();
        await this.sendBatch(lane, batch);
      }
    } finally {
      lane.sending = false;
      if (lane.queue.length > 0) this.scheduleSend(lane, this.lingerLeft(lane));
      else if (this.lanes.every((l) => l.idle())) this.wakeIdleWaiters();
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
      for (const p of batch) p.resolve(p.event);
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
      // Everything queued behind the failed batch in its lane is rejected too: sending it now could put a tenant's
      // later events on Kafka before the earlier ones its caller is about to retry. Other lanes' tenants go on.
      const behind = lane.queue.splice(0, lane.queue.length);
      lane.queuedBytes = 0;
      this.queued -= behind.length;
      this.wakeRoomWaiters();
      this.logger.error({ err: failure.message, events: batch.length + behind.length }, 'audit publish failed');
      for (const p of [...batch, ...behind]) p.reject(failure);
    }
  }

  /**
   * Wakes as many publish() calls waiting for room as there is room, oldest first. Waking every waiter on every batch
   * made 90,000 waiting calls each wait again ~50 times over in a burst of 100,000: most of the SDK's time.
   */
  private wakeRoomWaiters(): void {
    const room = Math.min(this.roomWaiters.length, this.maxQueued - this.queued);
    if (room <= 0) return;
    for (const wake of this.roomWaiters.splice(0, room)) wake();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
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

  idle(): boolean {
    return this.queue.length === 0 && !this.sending;
  }
}
