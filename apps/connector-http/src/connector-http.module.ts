import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { WebhookConnector, webhookSpec } from '@vigil/sinks';
import { connectorHttpConfig } from './connector-http.config';

@Module({
  imports: [
    ConfigModule.forRoot(connectorHttpConfig),
    ObservabilityModule.forRoot({ name: 'connector-http', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: webhookSpec, createSink: (connector, logger) => new WebhookConnector(connector, logger) }),
  ],
})
export class ConnectorHttpModule {}
