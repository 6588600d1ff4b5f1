import { z } from 'zod';

/** The store's environment variables, for an app to spread into its `defineConfig` schema. */
export const storeEnv = {
  /** Days of events kept; whole daily partitions older than this are dropped. */
  VIGIL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Daily partitions created ahead of today; events further in the future land in the default partition. */
  VIGIL_PARTITIONS_AHEAD_DAYS: z.coerce.number().int().min(1).max(366).default(7),
};

export interface StoreEnvConfig {
  VIGIL_RETENTION_DAYS: number;
  VIGIL_PARTITIONS_AHEAD_DAYS: number;
}

/** How the partition manager sizes the window of daily partitions. */
export interface StoreOptions {
  retentionDays: number;
  partitionsAheadDays: number;
}

export const DEFAULT_STORE_OPTIONS: StoreOptions = { retentionDays: 30, partitionsAheadDays: 7 };

export function storeOptionsFrom(config: StoreEnvConfig): StoreOptions {
  return { retentionDays: config.VIGIL_RETENTION_DAYS, partitionsAheadDays: config.VIGIL_PARTITIONS_AHEAD_DAYS };
}
