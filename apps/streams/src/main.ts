import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { StreamsAppModule } from './streams.module';

void bootstrapApp(StreamsAppModule, 'streams');
