import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DAILY_ROLLUP_TABLE, HOURLY_ROLLUP_TABLE, PENDING_ROLLUP_TABLE } from './audit-event-rollup.util';
import { STORE_MIGRATIONS, STORE_MIGRATIONS_TABLE } from './data-source.factory';
import { StoreErrorCode, StoreException } from './store.exception';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** The free-text search function (migration 1796400000000-AddFreeTextIndex), which the text filter's exact test calls. */
const SEARCH_FUNCTION = 'audit_event_search_text(text, jsonb)';
/** The text filter's exact test around it (migration 1796600000000-FreeTextIndexOverJsonText). */
const MATCH_FUNCTION = 'audit_event_text_matches(text, jsonb, text)';

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

  /**
   * The store migrations the schema has not applied (all of them when it has none): the switch-over moves tables and
   * functions over the live ones by name, so it needs the live schema at this build's version.
   */
  async missingMigrations(pool: Pool, schema: string): Promise<string[]> {
    const table = `${identifier(schema)}.${STORE_MIGRATIONS_TABLE}`;
    const { rows: exists } = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    const applied = exists[0]?.t == null ? [] : (await pool.query<{ name: string }>(`SELECT name FROM ${table}`)).rows.map((r) => r.name);
    return STORE_MIGRATIONS.map((m) => m.name).filter((name) => !applied.includes(name));
  }

  async schemaExists(pool: Pool, schema: string): Promise<boolean> {
    return (await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
  }

  async dropSchema(pool: Pool, schema: string): Promise<void> {
    await pool.query(`DROP SCHEMA IF EXISTS ${identifier(schema)} CASCADE`);
  }

  /**
   * Starts the switch-over: a transaction on the live schema that locks its chain heads, events and rollups against
   * writes (the live materializer and its fold wait; readers go on), and the next offset per partition the live tables
   * hold, so the rebuild can store up to there in the staging schema before `finishSwitch` moves its tables over.
   * Once the switch is committed the materializer goes on from the rebuilt heads: what it stored but had not committed
   * in Kafka is at or before a head, and skipped.
   */
  async beginSwitch(pool: Pool, target: string): Promise<{ client: PoolClient; livePositions: Map<string, bigint> }> {
    const to = identifier(target);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // The rollups too, so that a fold cannot start between their drops and deadlock with the switch. In the order
      // writers take them: the materializer locks the heads before the events and its counts, a fold the pending counts
      // before the rollups.
      await client.query(
        `LOCK TABLE ${to}.audit_chain_head, ${to}.audit_event, ${to}.${PENDING_ROLLUP_TABLE}, ${to}.${HOURLY_ROLLUP_TABLE}, ${to}.${DAILY_ROLLUP_TABLE} IN EXCLUSIVE MODE`,
      );
      const { rows } = await client.query<{ topic: string; partition: number; next: string }>(
        `SELECT kafka_topic AS topic, kafka_partition AS partition, max(kafka_offset) + 1 AS next
           FROM ${to}.audit_chain_head GROUP BY kafka_topic, kafka_partition`,
      );
      return { client, livePositions: new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next)])) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw err;
    }
  }

  /** Gives up a switch begun by `beginSwitch` (the rebuild was interrupted): the live tables stay as they were. */
  async abandonSwitch(client: PoolClient): Promise<void> {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }

  /**
   * Replaces the live table (with its free-text function), its rollups and its chain heads by the rebuilt ones in the
   * transaction `beginSwitch` opened: readers and the materializer wait on the lock, then see the new tables. Returns
   * how many partitions moved.
   */
  async finishSwitch(client: PoolClient, staging: string, target: string): Promise<number> {
    const [from, to] = [identifier(staging), identifier(target)];
    try {
      const parts = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_event'`,
        [from],
      );
      await client.query(`DROP TABLE IF EXISTS ${to}.audit_event CASCADE`);
      await client.query(`ALTER TABLE ${from}.audit_event SET SCHEMA ${to}`);
      for (const { name } of parts.rows) await client.query(`ALTER TABLE ${from}.${name} SET SCHEMA ${to}`);
      // The staging schema's search function moves too, replacing the live one: the text filter's exact test calls it
      // unqualified, and before migration 1796600000000 the trigram index was over it, so dropping the staging schema
      // afterwards must not take anything the moved table uses.
      // The exact test's wrapper calls the search function: it goes first and comes back after it.
      await client.query(`DROP FUNCTION IF EXISTS ${to}.${MATCH_FUNCTION}`);
      await client.query(`DROP FUNCTION IF EXISTS ${to}.${SEARCH_FUNCTION}`);
      await client.query(`ALTER FUNCTION ${from}.${SEARCH_FUNCTION} SET SCHEMA ${to}`);
      await client.query(`ALTER FUNCTION ${from}.${MATCH_FUNCTION} SET SCHEMA ${to}`);
      // The rollups (with their counts not folded yet) and the chain heads were filled by the same store() in the staging
      // schema: they move with the events. The live pending counts go with the live events they counted.
      for (const table of [HOURLY_ROLLUP_TABLE, DAILY_ROLLUP_TABLE, PENDING_ROLLUP_TABLE, 'audit_chain_head']) {
        await client.query(`DROP TABLE IF EXISTS ${to}.${table}`);
        await client.query(`ALTER TABLE ${from}.${table} SET SCHEMA ${to}`);
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
