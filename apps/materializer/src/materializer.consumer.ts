import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { allTopics, EventCodec } from '@vigil/events';
import {
  BatchConsumer,
  DeadLetterProducer,
  KAFKA,
  RegistryHttpClient,
  SCHEMA_REGISTRY_OPTIONS,
  type PartitionBatch,
  type SchemaRegistryOptions,
} from '@vigil/kafka';
import { AuditEventRepository, BatchMaterializer, PartitionManager, PG_POOL } from '@vigil/store';
import type { MaterializerConfig } from './materializer.config';
import { MaterializerMetrics } from './materializer-metrics.service';

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
  private readonly materializer: BatchMaterializer;
  private readonly deadLetters: DeadLetterProducer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) config: MaterializerConfig,
    @Inject(SCHEMA_REGISTRY_OPTIONS) registry: SchemaRegistryOptions,
    @Inject(PG_POOL) private readonly pool: Pool,
    repository: AuditEventRepository,
    partitions: PartitionManager,
    private readonly metrics: MaterializerMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(MaterializerConsumer.name);
    // Lookup only: decoding needs the writers' schemas by id, never a registration.
    const codec = new EventCodec(new RegistryHttpClient(registry), { schemaIds: 'lookup' });
    this.deadLetters = new DeadLetterProducer(kafka, config.MATERIALIZER_GROUP_ID);
    this.materializer = new BatchMaterializer(codec, repository, (time) => partitions.isWithinRetention(time), this.deadLetters);
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

  private async store(batch: PartitionBatch): Promise<void> {
    const timer = this.metrics.batchSeconds.startTimer({ topic: batch.topic });
    const result = await this.materializer.process(this.pool, batch.topic, batch.partition, batch.messages);
    for (const letter of result.deadLettered) {
      this.logger.warn({ origin: letter.origin, reason: letter.reason, detail: letter.detail }, 'message dead-lettered');
    }
    for (const event of result.expired) {
      this.logger.info(
        { id: event.id, tenantId: event.tenantId, time: new Date(event.time / 1000).toISOString() },
        'event older than the retention; not stored',
      );
    }
    const topic = batch.topic;
    this.metrics.events.inc({ result: 'stored', topic }, result.stored);
    this.metrics.events.inc({ result: 'duplicate', topic }, result.duplicates);
    this.metrics.events.inc({ result: 'dead_lettered', topic }, result.deadLettered.length);
    this.metrics.events.inc({ result: 'expired', topic }, result.expired.length);
    this.metrics.lastCommit.setToCurrentTime();
    timer();
  }
}
