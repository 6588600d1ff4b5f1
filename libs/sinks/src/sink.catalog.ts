import type { Logger } from 'pino';
import { type ConnectorDefinition, type ConnectorType, type ConnectorTypeSpec, type Sink, SinkHttpClient } from '@vigil/connector';
import { DatadogConnector } from './datadog.sink';
import { datadogSpec, type DatadogSettings } from './datadog.schema';
import { ElasticsearchConnector } from './elasticsearch.sink';
import { elasticsearchSpec, type ElasticsearchSettings } from './elasticsearch.schema';
import { SentinelConnector } from './sentinel.sink';
import { sentinelSpec, type SentinelSettings } from './sentinel.schema';
import { SplunkHecConnector } from './splunk-hec.sink';
import { splunkHecSpec, type SplunkHecSettings } from './splunk-hec.schema';
import { WebhookConnector } from './webhook.sink';
import { webhookSpec, type WebhookSettings } from './webhook.schema';

/** Every connector type Vigil can send to: the schema of its settings block and how its sink is built. */
export const SINK_SPECS: readonly ConnectorTypeSpec<unknown>[] = [splunkHecSpec, webhookSpec, datadogSpec, sentinelSpec, elasticsearchSpec];

/** The sink of a validated connector of any supported type (replay and redrive send through it like the live app); `http` is how it connects (the streams app's refuses private addresses). */
export function createSink(connector: ConnectorDefinition, logger: Logger, http = new SinkHttpClient()): Sink {
  switch (connector.type) {
    case 'splunk':
      return new SplunkHecConnector(connector as ConnectorDefinition<SplunkHecSettings>, logger, http);
    case 'http':
      return new WebhookConnector(connector as ConnectorDefinition<WebhookSettings>, logger, http);
    case 'datadog':
      return new DatadogConnector(connector as ConnectorDefinition<DatadogSettings>, logger, http);
    case 'sentinel':
      return new SentinelConnector(connector as ConnectorDefinition<SentinelSettings>, logger, http);
    case 'elasticsearch':
      return new ElasticsearchConnector(connector as ConnectorDefinition<ElasticsearchSettings>, logger, http);
  }
}

/** True when Vigil ships a sink for the type. */
export function hasSink(type: ConnectorType): boolean {
  return SINK_SPECS.some((spec) => spec.type === type);
}
