import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { bootstrapApp } from '@vigil/observability';
import { QueryApiModule } from './query-api.module';

@Module({ imports: [QueryApiModule.forRoot()] })
class QueryApiAppModule {}

void bootstrapApp(QueryApiAppModule, 'query-api');
