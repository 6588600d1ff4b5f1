export * from './stack.env';
export * from './wait.util';
export * from './audit-event.factory';
export * from './kafka-collector.util';
export * from './tcp-proxy.util';
export * from './app-process.util';
export * from './schema-store.util';
export * from './bench.env';
