import pg from 'pg';
import { runMigrations } from '@vigil/store';
import { testEnv, uniqueName } from './stack.env';

/**
 * A migrated store in a PostgreSQL schema of its own (in the test database), so test files running at
 * the same time never see each other's rows. Its pool resolves unqualified names in the schema.
 */
export class SchemaStore {
  readonly schema: string;
  readonly pool: pg.Pool;

  constructor(prefix: string, poolSize = 2) {
    this.schema = uniqueName(prefix).replace(/-/g, '_');
    this.pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: poolSize, options: `-c search_path=${this.schema}` });
  }

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

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.pool.end();
  }
}
