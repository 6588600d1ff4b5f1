import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { parseSigningKeys } from '@vigil/integrity';
import { AuditEventRepository } from './audit-event.repository';
import { Clock } from '@vigil/common';
import { PartitionScheduler } from './partition.scheduler';
import { PartitionManager } from './partition.manager';
import { storeOptionsFrom, type StoreEnvConfig, type StoreOptions } from './store.config';
import { PG_POOL, STORE_OPTIONS } from './store.tokens';

const providers: Provider[] = [
  Clock,
  AuditEventRepository,
  { provide: STORE_OPTIONS, inject: [APP_CONFIG], useFactory: (config: StoreEnvConfig) => storeOptionsFrom(config) },
  {
    provide: PartitionManager,
    inject: [PG_POOL, Clock, STORE_OPTIONS, PinoLogger, APP_CONFIG],
    useFactory: (pool: Pool, clock: Clock, options: StoreOptions, logger: PinoLogger, config: { VIGIL_CHAIN_SIGNING_KEYS?: string }) =>
      new PartitionManager(
        pool,
        clock,
        // An app whose config has the chain's signing keys (the materializer's) signs the retention anchors it leaves.
        { ...options, anchorSigner: parseSigningKeys(config.VIGIL_CHAIN_SIGNING_KEYS ?? '')[0] },
        logger.logger.child({ context: PartitionManager.name }),
      ),
  },
];

/** The audit store on DatabaseModule's pool; the app's config must include `storeEnv`. */
@Module({})
export class StoreModule {
  /** `partitionScheduler`: maintain partitions at start-up and hourly (the materializer; readers leave it off). */
  static forRoot(options: { partitionScheduler?: boolean } = {}): DynamicModule {
    const scheduler: Provider[] = options.partitionScheduler
      ? [
          {
            provide: PartitionScheduler,
            inject: [PartitionManager, PinoLogger],
            useFactory: (manager: PartitionManager, logger: PinoLogger) =>
              new PartitionScheduler(manager, logger.logger.child({ context: PartitionScheduler.name })),
          },
        ]
      : [];
    return {
      module: StoreModule,
      providers: [...providers, ...scheduler],
      exports: [Clock, AuditEventRepository, PartitionManager, STORE_OPTIONS],
    };
  }
}
