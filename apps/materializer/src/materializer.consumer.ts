import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { allTopics } from '@vigil/events';
import { AuditBatchHandler, type BatchOutcome, type DecodedBatch, type DeadLetter } from '@vigil/kafka';
import {
  AuditEventRepository,
  BatchMaterializer,
  GroupCommitQueue,
  PartitionManager,
  PG_POOL,
  partitionKey,
  type EventWithOrigin,
  type MaterializedBatch,
} from '@vigil/store';
import type { MaterializerConfig } from './materializer.config';
import { MaterializerMetrics } from './materializer-metrics.service';

/**
 * Partition batches handed to the handler at once. kafkajs fetches again once every batch of a fetch returned; each
 * batch is released as soon as it is queued for its transaction, so a fetch's batches are handed over together, the
 * next fetch is decoded while they are stored, and the group commit decides how many transactions they take
 * (MATERIALIZER_CONCURRENCY); memory stays bounded by two fetches (kafkajs' 10 MiB a fetch).
 */
const PARTITIONS_AT_ONCE = 32;
/** A transaction holds at most this many events (a bigger batch still goes, alone). */
const MAX_EVENTS_PER_TRANSACTION = 20_000;
/** Events a transaction holds at least when a fetch's batches take more than one: fewer share one. */
const MIN_EVENTS_TO_SPLIT = 500;

/**
 * Consumer group `vigil-materializer` on every audit topic. The consumer host decodes each partition batch
 * (undecodable messages go to audit.dlq) and commits it only after this handler resolved; the handler writes
 * the batch in a transaction (COPY + INSERT ... ON CONFLICT DO NOTHING) and hands back what cannot be a row.
 * Each batch is released once queued (docs/consumer-host.md "Fetch ahead"): the partition's next batch is fetched and
 * decoded while it is stored, queued behind it, and dropped unstored if it fails (the chain stays in Kafka order).
 * Batches that arrive together (one fetch's partitions) share transactions (group commit, GroupCommitQueue): one
 * transaction per partition batch cost a round of BEGIN, chain-head locks, staging, COMMIT each, and kafkajs' next
 * fetch waited for ceil(partitions / concurrency) rounds of them (docs/performance.md).
 * PostgreSQL or registry outages make the partition retry with backoff until they are back; a row PostgreSQL refuses
 * (index row too large, invalid byte sequence, ...) is isolated by the host and dead-lettered with its SQLSTATE.
 */
@Injectable()
export class MaterializerConsumer {
  private readonly materializer: BatchMaterializer;
  private readonly groups: GroupCommitQueue<EventWithOrigin, MaterializedBatch>;

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
    this.groups = new GroupCommitQueue((batches) => this.materializer.storeAll(this.pool, batches), {
      maxTransactions: config.MATERIALIZER_CONCURRENCY,
      maxEvents: MAX_EVENTS_PER_TRANSACTION,
      minEventsToSplit: MIN_EVENTS_TO_SPLIT,
    });
  }

  @AuditBatchHandler((self: MaterializerConsumer) => ({
    group: self.config.MATERIALIZER_GROUP_ID,
    topics: allTopics(),
    fromBeginning: true,
    concurrency: PARTITIONS_AT_ONCE,
    maxBytesPerPartition: self.config.MATERIALIZER_MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: self.config.MATERIALIZER_SESSION_TIMEOUT_MS,
  }))
  async store(batch: DecodedBatch): Promise<BatchOutcome> {
    const timer = this.metrics.batchSeconds.startTimer({ topic: batch.topic });
    // Queued in offset order behind the partition's batch before it (the queue never runs two of a partition at once):
    // the host may fetch and decode the partition's next batch while this one is stored. A later batch whose
    // predecessor failed is inactive and dropped unstored, so a tenant's chain stays in Kafka order.
    const stored = this.groups.store(partitionKey(batch.topic, batch.partition), batch.messages, () => batch.isActive());
    batch.release();
    const result = await stored;
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
