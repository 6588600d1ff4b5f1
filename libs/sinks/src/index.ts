export * from './sink.catalog';
export * from './splunk-hec.sink';
export * from './splunk-hec.schema';
export * from './webhook.sink';
export * from './webhook.schema';
export * from './datadog.sink';
export * from './datadog.schema';
