import { z } from 'zod';
import { databaseEnv, defineConfig, envBoolean, loadConfig } from '@vigil/config';

const positive = z.coerce.number().int().min(1);

/** The variables the benchmarks read, validated like an app's (a bad value is named, never guessed around). */
export const benchConfigSchema = defineConfig({
  ...databaseEnv,
  /** Events to produce or seed; each bench has its own default (1,000,000 for the materializer, replay and query API). */
  BENCH_EVENTS: positive.optional(),
  /** Messages of the raw Kafka baseline (default 200,000). */
  BENCH_MESSAGES: positive.default(200_000),
  /** Events (or requests) per second of a steady-rate run; each bench has its own default (materializer 10,000, others 1,000). */
  BENCH_RATE: positive.optional(),
  /** Seconds of the materializer's latency run (default 20). */
  BENCH_LATENCY_SECONDS: positive.default(20),
  /** Produce requests in flight for the SDK and its raw baseline (sdk-publish bench, default 3). */
  BENCH_IN_FLIGHT: positive.optional(),
  /** Rows per round (insert-strategy bench). */
  BENCH_ROWS: positive.default(10_000),
  /** Rounds to measure; each bench has its own default. */
  BENCH_ROUNDS: positive.optional(),
  /** An already seeded schema of the test database to reuse (and keep). */
  BENCH_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL schema name (lowercase letters, digits, _)')
    .optional(),
  /** Seconds the streams bench keeps 100 of its streams' SIEMs answering 503 (default 300). */
  BENCH_OUTAGE_SECONDS: positive.default(300),
  /** Milliseconds the benchmarks' fast HEC waits before each answer: a SIEM across a network (default 0). */
  BENCH_HEC_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** The connector types the connector bench runs, comma-separated (default every type, each with a fast double). */
  BENCH_CONNECTORS: z
    .string()
    .default('splunk,datadog,sentinel,elasticsearch,http')
    .transform((list) => list.split(',').map((type) => type.trim()))
    .pipe(z.array(z.enum(['splunk', 'datadog', 'sentinel', 'elasticsearch', 'http'])).min(1)),
  /**
   * Whether the connector bench's Datadog and Sentinel connectors gzip their requests (default true, their default):
   * false shows what the compression costs, the connector's and the double's inflating on the same cores.
   */
  BENCH_CONNECTOR_GZIP: envBoolean.default(true),
  /** The `gzipLevel` of those connectors (1-9); unset: the sinks' default. */
  BENCH_CONNECTOR_GZIP_LEVEL: z.coerce.number().int().min(1).max(9).optional(),
  /** Keep the seeded schema after the run. */
  BENCH_KEEP: envBoolean.default(false),
});

export type BenchConfig = z.infer<typeof benchConfigSchema>;

/** The benchmarks' configuration from the process environment. */
export function benchEnv(): BenchConfig {
  return loadConfig(benchConfigSchema);
}
