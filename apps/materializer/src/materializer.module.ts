import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConsumerHostModule, KafkaHealthIndicator, KafkaModule, SchemaRegistryHealthIndicator } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { DatabaseModule, PostgresHealthIndicator, StoreModule } from '@vigil/store';
import { ChainCheckpointScheduler } from './chain-checkpoint.scheduler';
import { materializerConfigSchema } from './materializer.config';
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
    StoreModule.forRoot({ partitionScheduler: true, rollupFold: true }),
  ],
  providers: [MaterializerMetrics, MaterializerConsumer, ChainCheckpointScheduler],
})
export class MaterializerModule {}
