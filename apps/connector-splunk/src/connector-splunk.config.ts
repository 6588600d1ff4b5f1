import { defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { connectorEnv } from '@vigil/connector';

/** Environment of the Splunk connector app; the connectors themselves are in the file VIGIL_CONFIG names. */
export const connectorSplunkConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...httpEnv(4201),
  ...logEnv,
  ...connectorEnv,
});
