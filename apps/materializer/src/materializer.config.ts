import { z } from 'zod';
import { databaseEnv, defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { chainEnv } from '@vigil/integrity';
import { ROLLUP_FOLD_INTERVAL_MS, storeEnv } from '@vigil/store';

export const materializerConfigSchema = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...databaseEnv,
  ...storeEnv,
  ...httpEnv(4100),
  ...logEnv,
  ...chainEnv,
  MATERIALIZER_GROUP_ID: z.string().min(1).max(200).default('vigil-materializer'),
  /** Transactions at once, each on its own connection; the partition batches of a fetch share them (default 3). */
  MATERIALIZER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
  /** How long a silent instance keeps its partitions before the group moves them (Kafka allows 6 s to 30 min). */
  MATERIALIZER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(1_800_000).default(30_000),
  /** Bytes fetched per partition per batch (default 2 MiB, about 5,000 events). */
  MATERIALIZER_MAX_BYTES_PER_PARTITION: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(64 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  /** How often the rollup counts the stored batches append are folded into the rollups (default 1 s). */
  MATERIALIZER_ROLLUP_FOLD_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(ROLLUP_FOLD_INTERVAL_MS),
});

export type MaterializerConfig = z.infer<typeof materializerConfigSchema>;
