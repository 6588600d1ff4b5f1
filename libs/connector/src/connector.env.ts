import { z } from 'zod';
import { DEFAULT_CONFIG_PATH } from './connector-config.loader';

/** The variable naming the connectors file; compose it into a connector app's config schema. */
export const connectorEnv = {
  VIGIL_CONFIG: z.string().trim().min(1).default(DEFAULT_CONFIG_PATH),
  /** How often each connector's status is published for `vigil connectors status`. */
  VIGIL_STATUS_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
};
