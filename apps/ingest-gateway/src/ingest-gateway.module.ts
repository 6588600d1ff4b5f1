import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { ApiKeyRepository, DatabaseModule, PostgresHealthIndicator } from '@vigil/store';
import { EventsController } from './events.controller';
import { ImportController } from './import.controller';
import { LogsController } from './logs.controller';
import { ingestGatewayConfig } from './ingest-gateway.config';
import { IngestService } from './ingest.service';
import { ProducerAuthenticator } from './producer-auth.service';

/**
 * The HTTP way in for producers that are not Node services: Vigil's envelope (`/v1/events`) OTLP logs (`/v1/logs`) and
 * vendors' own audit-log shapes (`/v1/import/{format}`). Producers authenticate
 * with `producer` API keys bound to their tenant. Ready when Kafka and PostgreSQL (the keys) answer.
 */
@Module({
  imports: [
    ConfigModule.forRoot(ingestGatewayConfig),
    ObservabilityModule.forRoot({ name: 'ingest-gateway', readiness: [KafkaHealthIndicator, PostgresHealthIndicator] }),
    KafkaModule,
    DatabaseModule,
  ],
  controllers: [EventsController, LogsController, ImportController],
  providers: [ApiKeyRepository, ProducerAuthenticator, IngestService],
})
export class IngestGatewayModule {}
