export * from './ingest-item.types';
export * from './otlp-logs.mapper';
export * from './json-records.util';
export * from './vendor-time.util';
export * from './vendor-formats.mapper';
