import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { DatadogConnector, datadogSpec } from '@vigil/sinks';
import { connectorDatadogConfig } from './connector-datadog.config';

@Module({
  imports: [
    ConfigModule.forRoot(connectorDatadogConfig),
    ObservabilityModule.forRoot({ name: 'connector-datadog', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: datadogSpec, createSink: (connector, logger) => new DatadogConnector(connector, logger) }),
  ],
})
export class ConnectorDatadogModule {}
