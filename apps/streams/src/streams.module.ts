import { Module } from '@nestjs/common';
import { ClockModule } from '@vigil/common';
import { ConfigModule } from '@vigil/config';
import { KafkaAdminService, KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { DatabaseModule, PostgresHealthIndicator } from '@vigil/store';
import { StreamsService } from '@vigil/streams';
import { streamsConfig } from './streams.config';

/**
 * One app for every tenant's SIEM streams: a shared reader dispatches each event once to every matching stream.
 * Readiness is Kafka and PostgreSQL only: a customer's failing SIEM is that stream's state, not the app's.
 */
@Module({
  imports: [
    ConfigModule.forRoot(streamsConfig),
    ObservabilityModule.forRoot({ name: 'streams', readiness: [KafkaHealthIndicator, PostgresHealthIndicator] }),
    ClockModule,
    KafkaModule,
    DatabaseModule,
  ],
  providers: [KafkaAdminService, StreamsService],
})
export class StreamsAppModule {}
