import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { ConnectorHttpModule } from './connector-http.module';

void bootstrapApp(ConnectorHttpModule, 'connector-http');
