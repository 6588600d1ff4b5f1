import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { SentinelConnector, sentinelSpec } from '@vigil/sinks';
import { connectorSentinelConfig } from './connector-sentinel.config';

@Module({
  imports: [
    ConfigModule.forRoot(connectorSentinelConfig),
    ObservabilityModule.forRoot({ name: 'connector-sentinel', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: sentinelSpec, createSink: (connector, logger) => new SentinelConnector(connector, logger) }),
  ],
})
export class ConnectorSentinelModule {}
