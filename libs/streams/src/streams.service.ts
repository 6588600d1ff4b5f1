import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { PinoLogger } from 'nestjs-pino';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import type { EventCodec } from '@vigil/events';
import { AUDIT_EVENT_CODEC, DeadLetterProducer, KAFKA, KafkaAdminService, type KafkaClient } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { PG_POOL } from '@vigil/store';
import { StreamMetrics } from './stream-health.util';
import { StreamSecretCipher } from './stream-secret.codec';
import { StreamDispatcher } from './stream-dispatcher.runner';
import { StreamRepository } from './stream.repository';
import type { z } from 'zod';
import type { streamsAppEnv } from './streams.env';

type StreamsAppConfig = z.infer<z.ZodObject<typeof streamsAppEnv>>;

/** Runs the streams app's dispatcher with the application's lifecycle. */
@Injectable()
export class StreamsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private dispatcher: StreamDispatcher | undefined;
  private deadLetters: DeadLetterProducer | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(AUDIT_EVENT_CODEC) private readonly codec: EventCodec,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: StreamsAppConfig,
    private readonly admin: KafkaAdminService,
    private readonly metrics: MetricsService,
    private readonly logger: PinoLogger,
    private readonly clock: Clock,
  ) {}

  get current(): StreamDispatcher | undefined {
    return this.dispatcher;
  }

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    const logger = this.logger.logger.child({ context: StreamDispatcher.name });
    const cipher = new StreamSecretCipher(c.VIGIL_STREAM_SECRET_KEYS);
    if (cipher.usingDevelopmentKey)
      logger.warn('VIGIL_STREAM_SECRET_KEYS is not set: stream secrets are sealed with the built-in development key');
    this.deadLetters = new DeadLetterProducer(this.kafka, 'vigil-streams');
    this.dispatcher = new StreamDispatcher(
      {
        group: c.VIGIL_STREAMS_GROUP,
        partitionsConcurrently: c.VIGIL_STREAMS_PARTITIONS_CONCURRENTLY,
        catchUpConcurrency: c.VIGIL_STREAMS_CATCHUP_CONCURRENCY,
        catchUpPerTenant: c.VIGIL_STREAMS_CATCHUP_PER_TENANT,
        reloadIntervalMs: c.VIGIL_STREAMS_RELOAD_INTERVAL_MS,
        healthIntervalMs: c.VIGIL_STREAMS_HEALTH_INTERVAL_MS,
        allowInsecureHttp: c.VIGIL_STREAMS_ALLOW_INSECURE_HTTP,
        allowPrivateTargets: c.VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS,
        detachAfterMs: c.VIGIL_STREAMS_DETACH_AFTER_MS,
        probe: { initialBackoffMs: c.VIGIL_STREAMS_PROBE_INITIAL_MS, maxBackoffMs: c.VIGIL_STREAMS_PROBE_MAX_MS },
        suspendAfterAuthFailures: c.VIGIL_STREAMS_SUSPEND_AFTER_AUTH_FAILURES,
      },
      {
        kafka: this.kafka,
        admin: this.admin,
        codec: this.codec,
        deadLetters: this.deadLetters,
        pool: this.pool,
        repository: new StreamRepository(this.pool),
        cipher,
        metrics: new StreamMetrics(this.metrics),
        logger,
        clock: this.clock,
      },
    );
    await this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher?.stop();
    await this.deadLetters?.close();
  }
}
