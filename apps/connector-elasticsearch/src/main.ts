import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { ConnectorElasticsearchModule } from './connector-elasticsearch.module';

void bootstrapApp(ConnectorElasticsearchModule, 'connector-elasticsearch');
