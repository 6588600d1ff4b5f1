import type pg from 'pg';
import { ApiKeyRepository } from '@vigil/store';
import { AppProcess } from '@vigil/testing';

/** The pepper the benchmarks' query API and the API keys they create share. */
export const BENCH_PEPPER = 'bench-pepper-0123456789abcdef';

/** A new analyst API key of `tenantId` in the store behind `pool`. */
export async function benchApiKey(pool: pg.Pool, tenantId: string, name: string): Promise<string> {
  return (await new ApiKeyRepository().create(pool, { tenantId, role: 'analyst', name }, BENCH_PEPPER)).key;
}

/**
 * The compiled query API as its own process over `databaseUrl` (as operators run it, without reaching into its
 * internals): no live tail, and no request rate limit, since a benchmark measures the queries and not the limiter.
 * `env` adds or overrides settings.
 */
export function startBenchQueryApi(databaseUrl: string, env: Record<string, string> = {}): Promise<AppProcess> {
  return new AppProcess('query-api', {
    DATABASE_URL: databaseUrl,
    QUERY_API_LIVE: 'false',
    VIGIL_API_KEY_PEPPER: BENCH_PEPPER,
    QUERY_API_RATE_PER_SECOND: '100000',
    QUERY_API_RATE_BURST: '100000',
    LOG_LEVEL: 'silent',
    ...env,
  }).start();
}
