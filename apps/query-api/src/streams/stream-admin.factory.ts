import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import { PinoLogger } from 'nestjs-pino';
import { AuditPublisher, connectionOf } from '@vigil/audit-sdk';
import { APP_CONFIG } from '@vigil/config';
import { PG_POOL } from '@vigil/store';
import { StreamAdminService, StreamRepository, StreamSecretCipher, type StreamAuditPublisher } from '@vigil/streams';
import type { QueryApiConfig } from '../query-api.config';

/**
 * The publisher of stream changes' audit events: Vigil's own SDK, on its own Kafka connection (the query API may run
 * without the live tail's). It connects on the first change and delivers what is queued at shutdown.
 */
@Injectable()
export class StreamAuditPublisherHolder implements OnApplicationShutdown {
  readonly publisher: AuditPublisher;

  constructor(@Inject(APP_CONFIG) config: QueryApiConfig, logger: PinoLogger) {
    this.publisher = new AuditPublisher({
      ...connectionOf(config, 'vigil-query-api-streams'),
      service: { name: 'vigil-query-api' },
      // A stream change waits for its event: a short linger, and a bounded retry so a Kafka outage fails the change fast.
      batch: { lingerMs: 1 },
      retry: { retries: 3, maxRetryTime: 2000 },
      logger: logger.logger,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}

export const streamAdminProviders: Provider[] = [
  StreamAuditPublisherHolder,
  {
    provide: StreamAdminService,
    inject: [PG_POOL, APP_CONFIG, StreamAuditPublisherHolder, PinoLogger],
    useFactory: (pool: Pool, config: QueryApiConfig, holder: StreamAuditPublisherHolder, logger: PinoLogger): StreamAdminService => {
      const cipher = new StreamSecretCipher(config.VIGIL_STREAM_SECRET_KEYS);
      if (cipher.usingDevelopmentKey)
        logger.logger.warn('VIGIL_STREAM_SECRET_KEYS is not set: stream secrets are sealed with the built-in development key');
      // The SDK's typed input names catalog actions; the stream actions are in the catalog (validated when published).
      const audit: StreamAuditPublisher = { publish: (input) => holder.publisher.publish(input) };
      return new StreamAdminService(
        new StreamRepository(pool),
        cipher,
        audit,
        {
          allowInsecureHttp: config.VIGIL_STREAMS_ALLOW_INSECURE_HTTP,
          allowPrivateTargets: config.VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS,
          maxPerTenant: config.VIGIL_STREAMS_MAX_PER_TENANT,
        },
        logger.logger.child({ context: StreamAdminService.name }),
      );
    },
  },
];
