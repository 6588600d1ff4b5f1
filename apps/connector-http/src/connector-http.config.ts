import { defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { connectorEnv } from '@vigil/connector';

/** Environment of the webhook connector app; the connectors themselves are in the file VIGIL_CONFIG names. */
export const connectorHttpConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...httpEnv(4202),
  ...logEnv,
  ...connectorEnv,
});
