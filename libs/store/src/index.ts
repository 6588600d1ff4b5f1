export * from './database.module';
export * from './postgres.health';
export * from './store.tokens';
