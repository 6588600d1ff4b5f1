export * from './ingest-item.types';
export * from './otlp-logs.mapper';
