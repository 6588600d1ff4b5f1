import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { PG_POOL } from '@vigil/store';
import type { QueryApiConfig } from './query-api.config';

/**
 * Session settings of every connection the query API's pool opens: an application_name (so its sessions show in
 * pg_stat_activity) and an idle_in_transaction_session_timeout, so a transaction a request left open (a stalled
 * export) cannot hold a connection and partition locks for ever.
 */
@Injectable()
export class QuerySessionSettings implements OnModuleInit {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
  ) {}

  onModuleInit(): void {
    // Runs before the pool hands the new client out, and pg runs a client's queries in order: no request runs unset.
    this.pool.on('connect', (client: PoolClient) => {
      client
        .query(`SELECT set_config('application_name', $1, false), set_config('idle_in_transaction_session_timeout', $2, false)`, [
          this.config.QUERY_API_DB_APPLICATION_NAME,
          String(this.config.QUERY_API_IDLE_IN_TRANSACTION_TIMEOUT_MS),
        ])
        .catch(() => undefined); // a failed connection fails the request's own query, with its own error
    });
  }
}
