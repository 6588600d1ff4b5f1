import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Admin, Kafka } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { withTimeout, type ReadinessIndicator } from '@vigil/observability';
import { createKafka, type KafkaClientOptions } from './kafka.client';
import { KAFKA_CLIENT_OPTIONS } from './kafka.tokens';

/** Ready when the cluster answers a metadata request and has a controller. */
@Injectable()
export class KafkaHealthIndicator implements ReadinessIndicator {
  readonly key = 'kafka';
  private admin: Admin | undefined;
  /** A client of its own without retries: a probe must answer "down" now, not keep reconnecting for a minute. */
  private readonly kafka: Kafka;

  constructor(
    @Inject(KAFKA_CLIENT_OPTIONS) options: KafkaClientOptions,
    private readonly health: HealthIndicatorService,
    logger: PinoLogger,
  ) {
    this.kafka = createKafka(
      { ...options, overrides: { ...options.overrides, connectionTimeout: 2000, retry: { retries: 0 } } },
      logger.logger.child({ context: KafkaHealthIndicator.name }),
    );
  }

  async check(): Promise<HealthIndicatorResult> {
    const session = this.health.check(this.key);
    try {
      this.admin ??= this.kafka.admin();
      await withTimeout(this.admin.connect(), 3000, 'Kafka');
      const cluster = await withTimeout(this.admin.describeCluster(), 3000, 'Kafka');
      if (cluster.controller === null) return session.down({ message: 'no active controller' });
      return session.up({ brokers: cluster.brokers.length });
    } catch (err) {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = undefined;
      return session.down({ message: (err as Error).message });
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect();
  }
}
