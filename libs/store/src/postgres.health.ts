import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { withTimeout, type ReadinessIndicator } from '@vigil/observability';
import { PG_POOL } from './store.tokens';

/** Ready when PostgreSQL answers a query. */
@Injectable()
export class PostgresHealthIndicator implements ReadinessIndicator {
  readonly key = 'postgres';

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(): Promise<HealthIndicatorResult> {
    const session = this.health.check(this.key);
    try {
      await withTimeout(this.pool.query('SELECT 1'), 3000, 'PostgreSQL');
      return session.up();
    } catch (err) {
      return session.down({ message: (err as Error).message });
    }
  }
}
