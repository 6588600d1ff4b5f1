import { DataSource } from 'typeorm';
import type { PoolConfig } from 'pg';
import { AuditEventEntity } from './audit-event.entity';
import { CreateAuditEvent1795304800000 } from './migrations/1795304800000-CreateAuditEvent';
import { CreateApiKey1795400000000 } from './migrations/1795400000000-CreateApiKey';
import { CreateAuditEventRollups1795500000000 } from './migrations/1795500000000-CreateAuditEventRollups';
import { AllowPlatformAdminKeys1795650000000 } from './migrations/1795650000000-AllowPlatformAdminKeys';
import { AllowProducerKeys1796200000000 } from './migrations/1796200000000-AllowProducerKeys';
import { CreateStreams1796100000000 } from './migrations/1796100000000-CreateStreams';
import { AddHashChain1796300000000 } from './migrations/1796300000000-AddHashChain';
import { AddFreeTextIndex1796400000000 } from './migrations/1796400000000-AddFreeTextIndex';
import { KeyLeadsWithId1796500000000 } from './migrations/1796500000000-KeyLeadsWithId';
import { FreeTextIndexOverJsonText1796600000000 } from './migrations/1796600000000-FreeTextIndexOverJsonText';
import { FreeTextIndexPerEndedDay1796700000000 } from './migrations/1796700000000-FreeTextIndexPerEndedDay';
import { AddRollupPending1796800000000 } from './migrations/1796800000000-AddRollupPending';

/** Every store migration, in order. Listed by class (not a glob) so source and dist find the same set. */
export const STORE_MIGRATIONS = [
  CreateAuditEvent1795304800000,
  CreateApiKey1795400000000,
  CreateAuditEventRollups1795500000000,
  AllowPlatformAdminKeys1795650000000,
  CreateStreams1796100000000,
  AllowProducerKeys1796200000000,
  AddHashChain1796300000000,
  AddFreeTextIndex1796400000000,
  KeyLeadsWithId1796500000000,
  FreeTextIndexOverJsonText1796600000000,
  FreeTextIndexPerEndedDay1796700000000,
  AddRollupPending1796800000000,
];

export const STORE_MIGRATIONS_TABLE = 'store_migrations';

export interface StoreDataSourceOptions {
  databaseUrl: string;
  /** Schema holding the store; default the server's search_path (public). A rebuild or a test uses its own. */
  schema?: string;
  poolSize?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checkedSchema(schema: string | undefined): string | undefined {
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new Error(`schema "${schema}" must be a lowercase SQL identifier (a-z, 0-9, _; at most 63 characters)`);
  }
  return schema;
}

/**
 * The URL without its own startup `options` when another schema is wanted: node-postgres lets the
 * connection string win over the config object, so a search_path in the URL would hide `schema`.
 */
function urlFor(databaseUrl: string, schema: string | undefined): string {
  if (schema === undefined) return databaseUrl;
  const url = new URL(databaseUrl);
  url.searchParams.delete('options');
  return url.toString();
}

/** pg connection settings whose sessions resolve unqualified names (audit_event) in `schema`. */
export function storePoolConfig(databaseUrl: string, schema?: string, max = 10): PoolConfig {
  const checked = checkedSchema(schema);
  return { connectionString: urlFor(databaseUrl, checked), max, ...(checked ? { options: `-c search_path=${checked}` } : {}) };
}

/** A TypeORM data source for the store. Never synchronises: the schema changes only through migrations. */
export function createStoreDataSource(options: StoreDataSourceOptions): DataSource {
  const schema = checkedSchema(options.schema);
  return new DataSource({
    type: 'postgres',
    url: urlFor(options.databaseUrl, schema),
    ...(schema ? { schema } : {}),
    entities: [AuditEventEntity],
    migrations: STORE_MIGRATIONS,
    migrationsTableName: STORE_MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // Two connections at least: one holds the migration lock while the other migrates.
    extra: { max: Math.max(2, options.poolSize ?? 2), ...(schema ? { options: `-c search_path=${schema}` } : {}) },
  });
}

/**
 * Applies pending store migrations and returns the names applied (none when up to date). Safe to call
 * from several instances at once: an advisory lock lets one migrate while the others wait, then find nothing to do.
 */
export async function runMigrations(databaseUrl: string, options: { schema?: string } = {}): Promise<string[]> {
  const dataSource = createStoreDataSource({ databaseUrl, ...options });
  await dataSource.initialize();
  const lockRunner = dataSource.createQueryRunner();
  const lockKey = `vigil.store.migrations:${options.schema ?? 'default'}`;
  try {
    await lockRunner.connect();
    await lockRunner.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    if (options.schema) await lockRunner.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await lockRunner.release();
    await dataSource.destroy();
  }
}
