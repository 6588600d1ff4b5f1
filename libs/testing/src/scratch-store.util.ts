import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { AuditEventRepository, runMigrations, storePoolConfig, type AuditEventRow } from '@vigil/store';
import { testEnv } from './stack.env';

/** A migrated store in a schema of its own, so test files running in parallel never meet. */
export interface ScratchStore {
  schema: string;
  /** Sessions of this pool resolve `audit_event` in `schema`. */
  pool: Pool;
  /** A further pool on the same schema (another "instance"); closed with the store. */
  newPool(): Pool;
  /** Inserts a batch in a transaction of its own, as the consumer does; returns how many rows were new. */
  insert(rows: readonly AuditEventRow[]): Promise<number>;
  close(): Promise<void>;
}

export function scratchSchemaName(): string {
  return `store_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: testEnv.databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

export async function createScratchStore(options: { migrate?: boolean } = {}): Promise<ScratchStore> {
  const schema = scratchSchemaName();
  if (options.migrate === false) await admin(`CREATE SCHEMA ${schema}`);
  else await runMigrations(testEnv.databaseUrl, { schema });
  const pools: Pool[] = [];
  const newPool = (): Pool => {
    const pool = new Pool(storePoolConfig(testEnv.databaseUrl, schema, 4));
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
  const pool = newPool();
  const repository = new AuditEventRepository();
  const insert = (rows: readonly AuditEventRow[]): Promise<number> => repository.insertBatchInTransaction(pool, rows);
  return {
    schema,
    pool,
    newPool,
    insert,
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
      await dropSchema(schema);
    },
  };
}
