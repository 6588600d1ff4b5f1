import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { ConnectorDatadogModule } from './connector-datadog.module';

void bootstrapApp(ConnectorDatadogModule, 'connector-datadog');
