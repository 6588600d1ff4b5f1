import { z } from 'zod';
import {
  databaseEnv,
  defineConfig,
  kafkaConnectionOf,
  kafkaEnv,
  loadConfig,
  logEnv,
  namedVariables,
  registryConnectionOf,
  registryEnv,
} from '@vigil/config';
import { defaultEncodeThreads } from '@vigil/connector';
import type { OperationsOptions } from '@vigil/operations';

export const cliConfigSchema = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...databaseEnv,
  ...logEnv,
  /** Days the store keeps events; topics keep them this long plus the replay margin. */
  VIGIL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Extra days topics keep events beyond the store, so a replay or rebuild always has the whole window. */
  VIGIL_REPLAY_MARGIN_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  VIGIL_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  VIGIL_TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(1),
  /** The connectors file (the same one the connector apps read), for replay, connectors and dlq. */
  VIGIL_CONFIG: z.string().trim().min(1).default('vigil.config.yaml'),
  /** Worker threads a replay decodes and maps events in (0: on the main thread), as for the connector apps. */
  VIGIL_ENCODE_THREADS: z.coerce.number().int().min(0).max(16).default(defaultEncodeThreads),
});

export type CliConfig = z.infer<typeof cliConfigSchema>;

export function cliConfig(): CliConfig {
  return loadConfig(cliConfigSchema);
}

/** The operations library's settings from the CLI's configuration. */
export function operationsOptions(config: CliConfig): OperationsOptions {
  return {
    kafka: kafkaConnectionOf(config, 'vigil-cli'),
    registry: registryConnectionOf(config),
    databaseUrl: config.DATABASE_URL,
    retentionDays: config.VIGIL_RETENTION_DAYS,
    connectorsFile: config.VIGIL_CONFIG,
    secrets: namedVariables,
    // The CLI's stderr is for people: library logs only when asked for more than the default.
    logLevel: config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL,
    encodeThreads: config.VIGIL_ENCODE_THREADS,
  };
}
