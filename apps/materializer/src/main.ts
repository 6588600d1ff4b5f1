import 'reflect-metadata';
import { bootstrapApp } from '@vigil/observability';
import { MaterializerModule } from './materializer.module';

void bootstrapApp(MaterializerModule, 'materializer');
