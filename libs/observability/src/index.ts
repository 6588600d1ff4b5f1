export * from './app.bootstrap';
export * from './health.indicator';
export * from './logger.factory';
export * from './metrics.service';
export * from './observability.module';
export * from './kafka-failure.util';
