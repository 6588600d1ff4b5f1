import { defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { connectorEnv } from '@vigil/connector';

/** Environment of the Datadog connector app; the connectors themselves are in the file VIGIL_CONFIG names. */
export const connectorDatadogConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...httpEnv(4203),
  ...logEnv,
  ...connectorEnv,
});
