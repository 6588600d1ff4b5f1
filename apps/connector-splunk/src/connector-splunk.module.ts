import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { SplunkHecConnector, splunkHecSpec } from '@vigil/sinks';
import { connectorSplunkConfig } from './connector-splunk.config';

@Module({
  imports: [
    ConfigModule.forRoot(connectorSplunkConfig),
    ObservabilityModule.forRoot({ name: 'connector-splunk', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: splunkHecSpec, createSink: (connector, logger) => new SplunkHecConnector(connector, logger) }),
  ],
})
export class ConnectorSplunkModule {}
