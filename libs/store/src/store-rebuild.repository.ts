import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DAILY_ROLLUP_TABLE, HOURLY_ROLLUP_TABLE } from './audit-event-rollup.util';
import { StoreErrorCode, StoreException } from './store.exception';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are spliced into DDL (they cannot be bind parameters), so only plain identifiers pass. */
function identifier(schema: string): string {
  if (!IDENTIFIER.test(schema))
    throw new StoreException(StoreErrorCode.INVALID_SCHEMA, 'schema', `"${schema.slice(0, 70)}" must be a lowercase SQL identifier`);
  return schema;
}

/**
 * The store's side of a rebuild: `audit_event` and its rollups are rebuilt in a staging schema, then moved over
 * the live ones in one transaction. Holds no connection; each call runs on the pool it is given.
 */
@Injectable()
export class StoreRebuildRepository {
  /** The schema the pool's sessions resolve `audit_event` in. */
  async currentSchema(pool: Pool): Promise<string> {
    return (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
  }

  async schemaExists(pool: Pool, schema: string): Promise<boolean> {
    return (await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  }

  async dropSchema(pool: Pool, schema: string): Promise<void> {
    await pool.query(`DROP SCHEMA IF EXISTS ${identifier(schema)} CASCADE`);
  }

  /**
   * Replaces the live table (and its rollups) by the rebuilt ones in one transaction: readers and the materializer
   * wait on the lock, then see the new tables. Returns how many partitions moved.
   */
  async switchOver(pool: Pool, staging: string, target: string): Promise<number> {
    const [from, to] = [identifier(staging), identifier(target)];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const parts = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_event'`,
        [from],
      );
      await client.query(`DROP TABLE IF EXISTS ${to}.audit_event CASCADE`);
      await client.query(`ALTER TABLE ${from}.audit_event SET SCHEMA ${to}`);
      for (const { name } of parts.rows) await client.query(`ALTER TABLE ${from}.${name} SET SCHEMA ${to}`);
      // The rollups were filled by the same insertBatch in the staging schema: they move with the events.
      for (const rollup of [HOURLY_ROLLUP_TABLE, DAILY_ROLLUP_TABLE]) {
        await client.query(`DROP TABLE IF EXISTS ${to}.${rollup}`);
        await client.query(`ALTER TABLE ${from}.${rollup} SET SCHEMA ${to}`);
      }
      await client.query('COMMIT');
      return parts.rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
