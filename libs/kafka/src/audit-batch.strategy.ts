import { Inject, Injectable, Optional } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { Clock } from '@vigil/common';
import { MetricsService } from '@vigil/observability';
import type { EventCodec } from '@vigil/events';
import { AUDIT_BATCH_HANDLER, type AuditBatchHandlerDeclaration } from './audit-batch-handler.decorator';
import { AuditBatchConsumer, type GroupLag } from './audit-batch.consumer';
import type { AuditBatchHandlerFn, AuditBatchHandlerOptions } from './audit-batch.types';
import { ConsumerHostErrorCode, ConsumerHostException } from './consumer-host.exception';
import { DeadLetterProducer } from './dead-letter.producer';
import type { KafkaClient } from './kafka.client';
import { AUDIT_EVENT_CODEC, KAFKA } from './kafka.tokens';

interface DeclaredHandler {
  options: AuditBatchHandlerOptions;
  handler: AuditBatchHandlerFn;
}

/**
 * Vigil's Kafka transport for Nest: finds every `@AuditBatchHandler` method and runs one consumer host
 * (`AuditBatchConsumer`) per declared group. ConsumerHostModule starts it with the application; it also works
 * as `app.connectMicroservice({ strategy })` (listen is idempotent). Nest's stock Kafka transport is not used:
 * see docs/consumer-host.md.
 */
@Injectable()
export class AuditBatchTransport extends Server implements CustomTransportStrategy {
  private readonly consumers = new Map<string, AuditBatchConsumer>();
  private readonly deadLetters: DeadLetterProducer[] = [];
  private started: Promise<void> | undefined;
  private readonly lettered: Counter<'group' | 'reason'> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(AUDIT_EVENT_CODEC) private readonly codec: EventCodec,
    private readonly clock: Clock,
    private readonly pino: PinoLogger,
    @Optional() metrics?: MetricsService,
  ) {
    super();
    // Every group of the app, whatever its handler: letters by reason, and partitions waiting to retry a failed batch.
    this.lettered = metrics?.counter({
      name: 'vigil_consumer_dead_lettered_total',
      help: 'Messages the consumer host wrote to audit.dlq, by group and reason (undecodable, or isolated after a handler failure)',
      labelNames: ['group', 'reason'],
    });
    const consumers = this.consumers;
    metrics?.gauge({
      name: 'vigil_consumer_partitions_retrying',
      help: 'Partitions whose batch failed and waits for its next attempt (the others keep flowing)',
      labelNames: ['group'],
      collect() {
        for (const [group, consumer] of consumers) this.set({ group }, consumer.retrying.length);
      },
    });
  }

  listen(callback: (err?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  /** Starts a consumer per declared handler (once, however often called). */
  start(): Promise<void> {
    this.started ??= this.startAll();
    return this.started;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
    await Promise.all(this.deadLetters.splice(0).map((d) => d.close()));
    this.consumers.clear();
    this.started = undefined;
  }

  /** The running consumer of a group (pause/resume, lag, joined). */
  consumer(group: string): AuditBatchConsumer | undefined {
    return this.consumers.get(group);
  }

  lag(group: string): GroupLag | undefined {
    return this.consumers.get(group)?.lag;
  }

  on(): void {
    // The host reports through its consumers' getters, not through Nest's transport events.
  }

  unwrap<T>(): T {
    return this.consumers as T;
  }

  private async startAll(): Promise<void> {
    for (const { options, handler } of this.discover()) {
      if (this.consumers.has(options.group))
        throw new ConsumerHostException(ConsumerHostErrorCode.DUPLICATE_GROUP, `two handlers declare group ${options.group}`);
      const deadLetters =
        options.undecodable === 'skip' ? undefined : new DeadLetterProducer(this.kafka, options.group, undefined, this.clock);
      if (deadLetters !== undefined) this.deadLetters.push(deadLetters);
      const logger = this.pino.logger.child({ context: AuditBatchConsumer.name, groupId: options.group });
      const consumer = new AuditBatchConsumer(options, handler, {
        kafka: this.kafka,
        codec: this.codec,
        deadLetters,
        clock: this.clock,
        logger,
        onDeadLettered: (letters) => {
          for (const { reason } of letters) this.lettered?.inc({ group: options.group, reason });
        },
      });
      this.consumers.set(options.group, consumer);
      // Registered with Nest as event handlers too, so getHandlers() lists what this transport serves.
      this.addHandler(options.group, (batch: Parameters<AuditBatchHandlerFn>[0]) => handler(batch), true, { topics: options.topics });
      await consumer.start();
      this.pino.logger.info({ groupId: options.group, topics: options.topics.length }, 'consumer host started a group');
    }
  }

  private discover(): DeclaredHandler[] {
    const found: DeclaredHandler[] = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (instance === null || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype === null) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method: unknown = (instance as Record<string, unknown>)[name];
        if (typeof method !== 'function') continue;
        const declaration = this.reflector.get<AuditBatchHandlerDeclaration | undefined>(AUDIT_BATCH_HANDLER, method);
        if (declaration === undefined) continue;
        const options = typeof declaration === 'function' ? declaration(instance) : declaration;
        const bound = (method as AuditBatchHandlerFn).bind(instance);
        found.push({ options, handler: bound });
      }
    }
    return found;
  }
}
