import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { ConnectorSplunkModule } from './connector-splunk.module';

void bootstrapApp(ConnectorSplunkModule, 'connector-splunk');
