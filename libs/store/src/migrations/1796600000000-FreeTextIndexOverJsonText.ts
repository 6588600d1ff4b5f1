import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The trigram index's expression from this migration on; `SEARCH_BLOB_SQL` in event-sql.mapper.ts is the same text. */
const BLOB = `(coalesce(description, '') || ' ' || coalesce(attributes::text, ''))`;
const OLD = `audit_event_search_text(description, attributes)`;

/**
 * The free-text index no longer evaluates `audit_event_search_text` for every stored row: that SQL function (a
 * subquery over `jsonb_each`) cost 7.6 µs a row, a fifth of everything PostgreSQL does to store an event with all its
 * indexes (docs/performance.md). The index now covers the description and the attributes' jsonb text, which costs
 * 0.6 µs a row, and makes storing 1.35× faster.
 *
 * That text holds every part `audit_event_search_text` joins (the description, each key, each value, each element of an
 * array), a string part JSON-escaped (`"` as `\"`, `\` as `\\`). So a needle contained in a part is contained in it,
 * as it is or escaped, and `buildEventWhere` asks the index for either (a superset), then keeps the exact test of
 * `audit_event_search_text` for the rows the index found: what `text` selects has not changed, only what it costs to
 * store an event. `audit_event_search_text` stays, for that exact test, called through `audit_event_text_matches`:
 * a STRICT SQL function around it, which PostgreSQL does not inline, so the planner takes the exact test as a
 * function of unknown selectivity (a third) instead of an ILIKE over an expression it has no statistics for (half a
 * percent), which made it read every match of a common needle through the index and sort them (1.2 s for a third of a
 * 440,000-event tenant) where walking the tenant's time index and stopping at a page takes 10-20 ms. The query passes
 * it the columns through coalesce, so a null description or attributes still matches on the other.
 *
 * On a populated store the index is built again under the migration's lock on `audit_event`: writers wait for the build.
 */
export class FreeTextIndexOverJsonText1796600000000 implements MigrationInterface {
  name = 'FreeTextIndexOverJsonText1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION audit_event_text_matches(description text, attributes jsonb, pattern text) RETURNS boolean
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN audit_event_search_text(description, attributes) ILIKE pattern`);
    await this.replaceIndex(queryRunner, BLOB);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.replaceIndex(queryRunner, OLD);
    await queryRunner.query(`DROP FUNCTION audit_event_text_matches(text, jsonb, text)`);
  }

  private async replaceIndex(queryRunner: QueryRunner, expression: string): Promise<void> {
    // pg_trgm is wherever AddFreeTextIndex found or installed it.
    const [extension] = (await queryRunner.query(
      `SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    )) as { schema: string }[];
    if (!extension) throw new Error('pg_trgm is not installed');
    await queryRunner.query(`DROP INDEX audit_event_search_trgm_idx`);
    await queryRunner.query(
      `CREATE INDEX audit_event_search_trgm_idx ON audit_event USING gin (${expression} ${extension.schema}.gin_trgm_ops)`,
    );
  }
}
