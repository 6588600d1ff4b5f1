import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '@vigil/common';
import { KafkaProducer, type KafkaClient } from '@vigil/kafka';
import { CONNECTOR_STATUS_TOPIC, type ConnectorStatusSnapshot } from './connector-ops.types';
import type { ConnectorStatus, ConnectorStatusService } from './connector-status.service';

/** Writes every connector's status to the compacted status topic, every interval and on demand (for `vigil connectors status`). */
export class ConnectorStatusPublisher {
  private readonly producer: KafkaProducer;
  private readonly instance = `${hostname()}:${process.pid}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    kafka: KafkaClient,
    private readonly status: ConnectorStatusService,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.producer = new KafkaProducer(kafka, { retry: { retries: 2 } });
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.intervalMs);
    this.timer.unref();
    void this.publish();
  }

  /** Publishes now; a failure is logged, never thrown (status is best effort, delivery is not affected). */
  async publish(): Promise<void> {
    const statuses = this.status.list();
    if (statuses.length === 0) return;
    try {
      const publishedAt = this.clock.now().toISOString();
      await this.producer.send(
        CONNECTOR_STATUS_TOPIC,
        statuses.map((s) => ({ key: s.name, value: JSON.stringify(this.snapshot(s, publishedAt)) })),
      );
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, topic: CONNECTOR_STATUS_TOPIC },
        'connector status not published (run `vigil topics apply`?)',
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.publish();
    await this.producer.disconnect().catch(() => undefined);
  }

  private snapshot(s: ConnectorStatus, publishedAt: string): ConnectorStatusSnapshot {
    return {
      name: s.name,
      type: s.type,
      state: s.state,
      reason: s.reason ?? null,
      eventsSent: s.eventsSent,
      deadLettered: s.deadLettered,
      retries: s.retries,
      lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null,
      lastError: s.lastError === undefined ? null : { at: s.lastError.at.toISOString(), message: s.lastError.message },
      instance: this.instance,
      publishedAt,
    };
  }
}
