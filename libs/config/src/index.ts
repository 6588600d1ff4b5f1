export * from './config.exception';
export * from './config.loader';
export * from './config.module';
export * from './config.schema';
export * from './environment.util';
export * from './connection-security.util';
