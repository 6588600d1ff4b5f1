import { Module } from '@nestjs/common';
import { APP_CONFIG, ConfigModule } from '@vigil/config';
import { ConsumerHostModule, KafkaHealthIndicator, KafkaModule, SchemaRegistryHealthIndicator } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { DatabaseModule, PG_POOL, PostgresHealthIndicator, RollupFolder, RollupFoldScheduler, StoreModule } from '@vigil/store';
import { ChainCheckpointScheduler } from './chain-checkpoint.scheduler';
import { materializerConfigSchema, type MaterializerConfig } from './materializer.config';
import { MaterializerConsumer } from './materializer.consumer';
import { MaterializerMetrics } from './materializer-metrics.service';

@Module({
  imports: [
    ConfigModule.forRoot(materializerConfigSchema),
    ObservabilityModule.forRoot({
      name: 'materializer',
      readiness: [KafkaHealthIndicator, SchemaRegistryHealthIndicator, PostgresHealthIndicator],
    }),
    KafkaModule,
    ConsumerHostModule,
    DatabaseModule,
    StoreModule.forRoot({ partitionScheduler: true }),
  ],
  providers: [
    MaterializerMetrics,
    MaterializerConsumer,
    ChainCheckpointScheduler,
    {
      // Folds the rollup counts the stored batches append into the rollups every second (docs/store.md, "Rollups").
      provide: RollupFoldScheduler,
      inject: [PG_POOL, PinoLogger, MaterializerMetrics, APP_CONFIG],
      useFactory: (pool: Pool, logger: PinoLogger, metrics: MaterializerMetrics, config: MaterializerConfig) =>
        new RollupFoldScheduler(
          new RollupFolder(pool),
          logger.logger.child({ context: RollupFoldScheduler.name }),
          config.MATERIALIZER_ROLLUP_FOLD_INTERVAL_MS,
          (outcome) => metrics.recordFold(outcome),
        ),
    },
  ],
})
export class MaterializerModule {}
