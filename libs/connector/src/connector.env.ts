import { z } from 'zod';
import { DEFAULT_CONFIG_PATH } from './connector-config.loader';

/** The variable naming the connectors file; compose it into a connector app's config schema. */
export const connectorEnv = {
  VIGIL_CONFIG: z.string().trim().min(1).default(DEFAULT_CONFIG_PATH),
};
