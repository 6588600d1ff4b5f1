import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { allTopics } from '@vigil/events';
import { AuditBatchHandler, type BatchOutcome, type DecodedBatch, type DeadLetter } from '@vigil/kafka';
import { AuditEventRepository, BatchMaterializer, PartitionManager, PG_POOL } from '@vigil/store';
import type { MaterializerConfig } from './materializer.config';
import { MaterializerMetrics } from './materializer-metrics.service';

/**
 * Consumer group `vigil-materializer` on every audit topic. The consumer host decodes each partition batch
 * (undecodable messages go to audit.dlq) and commits it only after this handler resolved; the handler writes
 * the batch in one transaction (COPY + INSERT ... ON CONFLICT DO NOTHING) and hands back what cannot be a row.
 * PostgreSQL or registry outages make the partition retry with backoff until they are back; a row PostgreSQL refuses
 * (index row too large, invalid byte sequence, ...) is isolated by the host and dead-lettered with its SQLSTATE.
 */
@Injectable()
export class MaterializerConsumer {
  private readonly materializer: BatchMaterializer;

  constructor(
    @Inject(APP_CONFIG) readonly config: MaterializerConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    repository: AuditEventRepository,
    partitions: PartitionManager,
    private readonly metrics: MaterializerMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(MaterializerConsumer.name);
    this.materializer = new BatchMaterializer(repository, (time) => partitions.isWithinRetention(time));
  }

  @AuditBatchHandler((self: MaterializerConsumer) => ({
    group: self.config.MATERIALIZER_GROUP_ID,
    topics: allTopics(),
    fromBeginning: true,
    concurrency: self.config.MATERIALIZER_CONCURRENCY,
    maxBytesPerPartition: self.config.MATERIALIZER_MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: self.config.MATERIALIZER_SESSION_TIMEOUT_MS,
  }))
  async store(batch: DecodedBatch): Promise<BatchOutcome> {
    const timer = this.metrics.batchSeconds.startTimer({ topic: batch.topic });
    const result = await this.materializer.store(this.pool, batch.messages);
    const deadLetters: DeadLetter[] = result.rejected.map(({ origin, event, reason, detail }) => {
      const message = batch.messages.find((m) => m.origin.offset === origin.offset);
      return { origin, key: message?.key ?? null, value: message?.value ?? null, reason, detail, eventId: event.id };
    });
    for (const event of result.expired) {
      this.logger.info(
        { id: event.id, tenantId: event.tenantId, time: new Date(event.time / 1000).toISOString() },
        'event older than the retention; not stored',
      );
    }
    const topic = batch.topic;
    const undecodable = batch.read - batch.messages.length;
    this.metrics.events.inc({ result: 'stored', topic }, result.stored);
    this.metrics.events.inc({ result: 'duplicate', topic }, result.duplicates);
    this.metrics.events.inc({ result: 'dead_lettered', topic }, deadLetters.length + undecodable);
    this.metrics.events.inc({ result: 'expired', topic }, result.expired.length);
    this.metrics.lastCommit.setToCurrentTime();
    timer();
    return { deadLetters };
  }
}
