import { defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { connectorEnv } from '@vigil/connector';

/** Environment of the Elasticsearch/OpenSearch connector app; the connectors themselves are in the file VIGIL_CONFIG names. */
export const connectorElasticsearchConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...httpEnv(4205),
  ...logEnv,
  ...connectorEnv,
});
