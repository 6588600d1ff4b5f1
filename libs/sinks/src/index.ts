export * from './sink.catalog';
export * from './splunk-hec.connector';
export * from './splunk-hec.schema';
export * from './webhook.connector';
export * from './webhook.schema';
