import { defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { connectorEnv } from '@vigil/connector';

/** Environment of the Microsoft Sentinel connector app; the connectors themselves are in the file VIGIL_CONFIG names. */
export const connectorSentinelConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...httpEnv(4204),
  ...logEnv,
  ...connectorEnv,
});
