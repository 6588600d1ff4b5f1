import { Module } from '@nestjs/common';
import { ConfigModule } from '@vigil/config';
import { ConnectorHealthIndicator, ConnectorModule } from '@vigil/connector';
import { KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { ElasticsearchConnector, elasticsearchSpec } from '@vigil/sinks';
import { connectorElasticsearchConfig } from './connector-elasticsearch.config';

@Module({
  imports: [
    ConfigModule.forRoot(connectorElasticsearchConfig),
    ObservabilityModule.forRoot({ name: 'connector-elasticsearch', readiness: [KafkaHealthIndicator, ConnectorHealthIndicator] }),
    KafkaModule,
    ConnectorModule.forRoot({ spec: elasticsearchSpec, createSink: (connector, logger) => new ElasticsearchConnector(connector, logger) }),
  ],
})
export class ConnectorElasticsearchModule {}
