import pg from 'pg';
import { runMigrations } from '@vigil/store';
import { testEnv, uniqueName } from '@vigil/testing';

/** A fresh store in its own PostgreSQL schema, so test files never see each other's rows. */
export class TestStore {
  readonly schema = uniqueName('mat').replace(/-/g, '_');
  readonly pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 2 });

  /** DATABASE_URL for an app that should use this schema (search_path through the startup options). */
  databaseUrl(base = testEnv.databaseUrl): string {
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${this.schema}`);
    return url.toString();
  }

  async create(): Promise<this> {
    await runMigrations(testEnv.databaseUrl, { schema: this.schema });
    return this;
  }

  async count(tenantId: string): Promise<number> {
    const res = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.schema}.audit_event WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return Number(res.rows[0]?.n ?? 0);
  }

  async ids(tenantId: string): Promise<string[]> {
    const res = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.schema}.audit_event WHERE tenant_id = $1 ORDER BY id`, [
      tenantId,
    ]);
    return res.rows.map((r) => r.id);
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.pool.end();
  }
}
