import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { allTopics } from '@vigil/events';
import { AuditBatchHandler, AuditBatchTransport, type DecodedBatch } from '@vigil/kafka';
import { LiveEventsService } from './live-events.service';

/**
 * Feeds the live tail from Kafka, not the database: a consumer group of its own per instance
 * (`vigil-query-live-<random>`), starting at the end of every audit topic, decoded by the consumer host
 * and handed batch by batch to the fan-out. The group is deleted at shutdown.
 */
@Injectable()
export class LiveEventsConsumer {
  readonly groupId = `vigil-query-live-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly live: LiveEventsService,
    private readonly host: AuditBatchTransport,
  ) {}

  /** Whether the group has its partitions (events published from then on reach the subscribers). */
  get isJoined(): boolean {
    return this.host.consumer(this.groupId)?.joined ?? false;
  }

  // The materializer dead-letters undecodable messages; the live tail just skips them.
  @AuditBatchHandler((self: LiveEventsConsumer) => ({
    group: self.groupId,
    topics: allTopics(),
    fromBeginning: false,
    sessionTimeoutMs: 10_000,
    undecodable: 'skip',
    deleteGroupOnStop: true,
  }))
  fanOut(batch: DecodedBatch): Promise<void> {
    if (batch.messages.length > 0) this.live.publish(batch.messages.map((m) => m.event));
    return Promise.resolve();
  }
}
