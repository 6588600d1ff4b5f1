import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { dropSchema, requireStack, scratchSchemaName, testEnv } from '@vigil/testing';
import { createStoreDataSource, runMigrations, STORE_MIGRATIONS, STORE_MIGRATIONS_TABLE } from './data-source.factory';

async function catalog<T>(schema: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: testEnv.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, [schema])).rows as T[];
  } finally {
    await client.end();
  }
}

describe(runMigrations.name, () => {
  const schemas: string[] = [];
  const fresh = (): string => {
    const schema = scratchSchemaName();
    schemas.push(schema);
    return schema;
  };

  const ALL_MIGRATIONS = STORE_MIGRATIONS.map((m) => m.name);
  before(() => requireStack(['postgres']));
  after(() => Promise.all(schemas.map(dropSchema)));

  it('creates the partitioned audit_event with its default partition, then has nothing left to apply', async () => {
    const schema = fresh();
    assert.deepEqual(await runMigrations(testEnv.databaseUrl, { schema }), ALL_MIGRATIONS);
    assert.deepEqual(await runMigrations(testEnv.databaseUrl, { schema }), []);
    const [table] = await catalog<{ strategy: string; partitions: string[] }>(
      schema,
      `SELECT p.partstrat AS strategy,
              ARRAY(SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = p.partrelid) AS partitions
       FROM pg_partitioned_table p JOIN pg_class t ON t.oid = p.partrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = $1 AND t.relname = 'audit_event'`,
    );
    assert.deepEqual(table, { strategy: 'r', partitions: ['audit_event_default'] });
    const tables = await catalog<{ tablename: string }>(schema, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`);
    assert.deepEqual(
      tables.map((t) => t.tablename),
      [
        'api_key',
        'audit_chain_checkpoint',
        'audit_chain_head',
        'audit_event',
        'audit_event_daily',
        'audit_event_default',
        'audit_event_hourly',
        'audit_event_rollup_pending',
        STORE_MIGRATIONS_TABLE,
        'vigil_stream',
        'vigil_stream_health',
        'vigil_stream_offset',
      ],
    );
  });

  it('lets concurrent instances migrate the same schema: one applies, the others find nothing to do', async () => {
    const schema = fresh();
    const results = await Promise.all([1, 2, 3].map(() => runMigrations(testEnv.databaseUrl, { schema })));
    assert.deepEqual(results.flat(), ALL_MIGRATIONS);
  });

  it('leaves a table whose columns and named indexes match the entity', async () => {
    const schema = fresh();
    await runMigrations(testEnv.databaseUrl, { schema });
    const dataSource = createStoreDataSource({ databaseUrl: testEnv.databaseUrl, schema });
    await dataSource.initialize();
    try {
      const metadata = dataSource.getMetadata('AuditEventEntity');
      const columns = await catalog<{ column_name: string; udt_name: string; is_nullable: string }>(
        schema,
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'audit_event'`,
      );
      const byName = new Map(columns.map((c) => [c.column_name, c]));
      assert.equal(metadata.columns.length, columns.length, 'every table column has an entity property');
      for (const column of metadata.columns) {
        const actual = byName.get(column.databaseName);
        assert.ok(actual, `column ${column.databaseName} exists`);
        assert.equal(actual.is_nullable === 'YES', column.isNullable, `${column.databaseName} nullability`);
      }
      const indexes = await catalog<{ indexname: string }>(
        schema,
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'audit_event'`,
      );
      const names = new Set(indexes.map((i) => i.indexname));
      for (const index of metadata.indices) assert.ok(names.has(index.name), `index ${index.name} exists`);
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(runMigrations(testEnv.databaseUrl, { schema: 'x; DROP TABLE y' }), /lowercase SQL identifier/);
  });
});
