import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { allTopics, EventCodec, EventDecodeException, type AuditEvent } from '@vigil/events';
import {
  BatchConsumer,
  KAFKA,
  RegistryHttpClient,
  SCHEMA_REGISTRY_OPTIONS,
  type PartitionBatch,
  type SchemaRegistryOptions,
} from '@vigil/kafka';
import { LiveEventsService } from './live-events.service';

/**
 * Feeds the live tail from Kafka, not the database: a consumer group of its own per instance
 * (`vigil-query-live-<random>`), starting at the end of every audit topic, decoding through the registry
 * and handing each batch to the fan-out. The group is deleted at shutdown.
 */
@Injectable()
export class LiveEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly groupId = `vigil-query-live-${randomUUID().slice(0, 8)}`;
  private readonly consumer: BatchConsumer;
  private readonly codec: EventCodec;
  private joined = false;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(SCHEMA_REGISTRY_OPTIONS) registry: SchemaRegistryOptions,
    private readonly live: LiveEventsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(LiveEventsConsumer.name);
    this.codec = new EventCodec(new RegistryHttpClient(registry), { schemaIds: 'lookup' });
    this.consumer = new BatchConsumer(
      kafka,
      { groupId: this.groupId, topics: allTopics(), fromBeginning: false, sessionTimeoutMs: 10_000 },
      (batch) => this.fanOut(batch),
      this.logger.logger.child({ context: BatchConsumer.name }),
    );
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
  }

  /** Whether the group has its partitions (events published from then on reach the subscribers). */
  get isJoined(): boolean {
    return this.joined;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.logger.info({ groupId: this.groupId }, 'live tail consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (err) {
      this.logger.warn({ groupId: this.groupId, reason: (err as Error).message }, 'could not delete the live consumer group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async fanOut(batch: PartitionBatch): Promise<void> {
    const events: AuditEvent[] = [];
    for (const message of batch.messages) {
      try {
        events.push(await this.codec.decode(message.value, batch.topic));
      } catch (err) {
        // The materializer dead-letters undecodable messages; the live tail just skips them.
        if (!(err instanceof EventDecodeException)) throw err;
      }
    }
    if (events.length > 0) this.live.publish(events);
  }
}
