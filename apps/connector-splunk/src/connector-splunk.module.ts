import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { connectorSplunkConfig } from './connector-splunk.config';
import { SplunkHecConnector } from './splunk-hec.connector';
import { splunkHecSpec } from './splunk-hec.schema';

@Module({
  imports: [
    ConfigModule.forRoot(connectorSplunkConfig),
    ObservabilityModule.forRoot({ name: 'connector-splunk', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: splunkHecSpec, createSink: (connector, logger) => new SplunkHecConnector(connector, logger) }),
  ],
})
export class ConnectorSplunkModule {}
