export * from './kafka.client';
export * from './kafka.health';
export * from './kafka.module';
export * from './kafka.tokens';
export * from './schema-registry.client';
export * from './schema-registry.health';
export * from './registry-http.client';
export * from './batch.consumer';
