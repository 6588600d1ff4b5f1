import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { createPgPool } from './pg-pool.factory';
import { APP_CONFIG } from '@vigil/config';
import { PostgresHealthIndicator } from './postgres.health';
import { PG_POOL } from './store.tokens';

interface DatabaseAppConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
}

/** A pg connection pool from DATABASE_URL, closed at shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [APP_CONFIG],
      useFactory: (config: DatabaseAppConfig) => {
        // A client losing its connection (PostgreSQL restart) must not crash the app; the next query reconnects.
        return createPgPool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000 });
      },
    },
    PostgresHealthIndicator,
  ],
  exports: [PG_POOL, PostgresHealthIndicator],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
