import type pg from 'pg';
import { DAILY_ROLLUP_TABLE, HOURLY_ROLLUP_TABLE } from '@vigil/store';

/** The schemas of a rebuild: the live one and the staging one the rebuild fills, named from the live one. */
export interface RebuildSchemas {
  target: string;
  staging: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** The DDL a rebuild runs around the store: find the live schema, drop the staging one, and swap the tables. */
export class StoreSwitchOverRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The live schema (the connection's current schema) and its staging schema; undefined staging when not a plain identifier. */
  async schemas(): Promise<{ target: string; staging: string | undefined }> {
    const target = (await this.pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
    const staging = `${target}_rebuild`;
    return { target, staging: IDENT.test(staging) ? staging : undefined };
  }

  async exists(schema: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  }

  async drop(schema: string): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }

  /**
   * Replaces the live table by the rebuilt one in one transaction: readers and the materializer wait on the lock, then
   * see the new table. Returns how many partitions moved.
   */
  async switchOver({ staging, target }: RebuildSchemas): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const parts = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_event'`,
        [staging],
      );
      await client.query(`DROP TABLE IF EXISTS ${target}.audit_event CASCADE`);
      await client.query(`ALTER TABLE ${staging}.audit_event SET SCHEMA ${target}`);
      for (const { name } of parts.rows) await client.query(`ALTER TABLE ${staging}.${name} SET SCHEMA ${target}`);
      // The rollups were filled by the same insertBatch in the staging schema: they move with the events.
      for (const rollup of [HOURLY_ROLLUP_TABLE, DAILY_ROLLUP_TABLE]) {
        await client.query(`DROP TABLE IF EXISTS ${target}.${rollup}`);
        await client.query(`ALTER TABLE ${staging}.${rollup} SET SCHEMA ${target}`);
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
