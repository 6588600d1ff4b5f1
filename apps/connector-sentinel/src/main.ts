import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { ConnectorSentinelModule } from './connector-sentinel.module';

void bootstrapApp(ConnectorSentinelModule, 'connector-sentinel');
