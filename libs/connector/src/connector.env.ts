import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_CONFIG_PATH } from './connector-config.loader';

/**
 * Worker threads a connector decodes and maps its events in by default: one fewer than the machine's cores (the main
 * thread keeps Kafka and HTTP), at least one, at most four.
 */
export function defaultEncodeThreads(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/** The variable naming the connectors file; compose it into a connector app's config schema. */
export const connectorEnv = {
  VIGIL_CONFIG: z.string().trim().min(1).default(DEFAULT_CONFIG_PATH),
  /** How often each connector's status is published for `vigil connectors status`. */
  VIGIL_STATUS_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Worker threads that decode and map events for the SIEM (0: on the main thread); default: cores − 1, 1 to 4. */
  VIGIL_ENCODE_THREADS: z.coerce.number().int().min(0).max(16).default(defaultEncodeThreads),
};
