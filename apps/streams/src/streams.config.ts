import { databaseEnv, defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { streamsAppEnv } from '@vigil/streams';

/** Environment of the streams app: per-tenant SIEM streams are stored in PostgreSQL and managed through the query API. */
export const streamsConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...databaseEnv,
  ...httpEnv(4210),
  ...logEnv,
  ...streamsAppEnv,
});
