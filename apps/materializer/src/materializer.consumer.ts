import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { allTopics, EventCodec, EventDecodeException, type AuditEvent } from '@vigil/events';
import {
  BatchConsumer,
  DeadLetterProducer,
  KAFKA,
  RegistryHttpClient,
  SCHEMA_REGISTRY_OPTIONS,
  type DeadLetter,
  type PartitionBatch,
  type SchemaRegistryOptions,
} from '@vigil/kafka';
import { AuditEventRepository, PartitionManager, PG_POOL, toRow, type AuditEventRow } from '@vigil/store';
import type { MaterializerConfig } from './materializer.config';
import { MaterializerMetrics } from './materializer-metrics.service';

/** What one partition batch became: rows to store, letters to dead-letter, events too old to keep. */
export interface SortedBatch {
  rows: AuditEventRow[];
  letters: DeadLetter[];
  expired: AuditEvent[];
}

/**
 * Consumer group `vigil-materializer` on every audit topic. Each partition batch is decoded through
 * the registry, mapped, and written in one transaction (COPY + INSERT ... ON CONFLICT DO NOTHING);
 * the batch's offsets are committed only after that transaction committed. Poison messages go to
 * audit.dlq and the partition moves on; PostgreSQL or registry outages make the batch retry in
 * place until they are back.
 */
@Injectable()
export class MaterializerConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: BatchConsumer;
  private readonly codec: EventCodec;
  private readonly deadLetters: DeadLetterProducer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) config: MaterializerConfig,
    @Inject(SCHEMA_REGISTRY_OPTIONS) registry: SchemaRegistryOptions,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly repository: AuditEventRepository,
    private readonly partitions: PartitionManager,
    private readonly metrics: MaterializerMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(MaterializerConsumer.name);
    // Lookup only: decoding needs the writers' schemas by id, never a registration.
    this.codec = new EventCodec(new RegistryHttpClient(registry), { schemaIds: 'lookup' });
    this.deadLetters = new DeadLetterProducer(kafka, config.MATERIALIZER_GROUP_ID);
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: config.MATERIALIZER_GROUP_ID,
        topics: allTopics(),
        fromBeginning: true,
        partitionsConsumedConcurrently: config.MATERIALIZER_CONCURRENCY,
        maxBytesPerPartition: config.MATERIALIZER_MAX_BYTES_PER_PARTITION,
        sessionTimeoutMs: config.MATERIALIZER_SESSION_TIMEOUT_MS,
      },
      (batch) => this.store(batch),
      this.logger.logger.child({ context: BatchConsumer.name }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.logger.info({ topics: allTopics().length }, 'materializer consuming');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.deadLetters.close();
  }

  /** Decodes and sorts a batch; throws only for transient causes (registry down), which retry the batch. */
  async sort(topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<SortedBatch> {
    const sorted: SortedBatch = { rows: [], letters: [], expired: [] };
    for (const message of messages) {
      const origin = { topic, partition, offset: message.offset };
      let event: AuditEvent;
      try {
        event = await this.codec.decode(message.value, topic);
      } catch (err) {
        if (!(err instanceof EventDecodeException)) throw err;
        sorted.letters.push({ origin, key: message.key, value: message.value, reason: err.reason, detail: err.message });
        continue;
      }
      if (!this.partitions.isWithinRetention(event.time)) {
        sorted.expired.push(event);
        continue;
      }
      try {
        sorted.rows.push(toRow(event, origin));
      } catch (err) {
        sorted.letters.push({
          origin,
          key: message.key,
          value: message.value,
          reason: 'envelope',
          detail: (err as Error).message,
          eventId: event.id,
        });
      }
    }
    return sorted;
  }

  private async store(batch: PartitionBatch): Promise<void> {
    const timer = this.metrics.batchSeconds.startTimer({ topic: batch.topic });
    const sorted = await this.sort(batch.topic, batch.partition, batch.messages);
    // Dead letters first: once the rows commit, the offsets move past the poison messages too.
    if (sorted.letters.length > 0) {
      await this.deadLetters.send(sorted.letters);
      for (const letter of sorted.letters) {
        this.logger.warn({ origin: letter.origin, reason: letter.reason, detail: letter.detail }, 'message dead-lettered');
      }
    }
    for (const event of sorted.expired) {
      this.logger.info(
        { id: event.id, tenantId: event.tenantId, time: new Date(event.time / 1000).toISOString() },
        'event older than the retention; not stored',
      );
    }
    await batch.heartbeat();
    const inserted = await this.insert(sorted.rows);
    const topic = batch.topic;
    this.metrics.events.inc({ result: 'stored', topic }, inserted);
    this.metrics.events.inc({ result: 'duplicate', topic }, sorted.rows.length - inserted);
    this.metrics.events.inc({ result: 'dead_lettered', topic }, sorted.letters.length);
    this.metrics.events.inc({ result: 'expired', topic }, sorted.expired.length);
    this.metrics.lastCommit.setToCurrentTime();
    timer();
  }

  private async insert(rows: readonly AuditEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await this.repository.insertBatch(client, rows);
      await client.query('COMMIT');
      return inserted;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
