import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A trigram index for the query API's free-text filter (`text`, docs/store.md "Free text"): `buildEventWhere` matches
 * `audit_event_search_text(description, attributes) ILIKE '%text%'`, which this GIN index serves instead of a scan of
 * every row of the tenant's time range.
 *
 * `audit_event_search_text` joins the description, every attribute key and every attribute value (an array's elements one
 * by one, other values as `#>> '{}'` gives them) with U+001F between them, so a needle without that character matches
 * exactly when one of those parts contains it: the semantics of `textMatches` (event-match.util.ts). It is a SQL-standard
 * body (`RETURN …`), resolved when it is created, so it does not depend on the search_path of whoever evaluates it
 * (an insert, ANALYZE, a rebuild in another schema). It lives beside the table, in the migrated schema, and moves with
 * it when `vigil rebuild` switches over (StoreRebuildRepository.finishSwitch).
 *
 * pg_trgm is one per database: it is installed in `public` when absent (a store in another schema resolves
 * `gin_trgm_ops` by qualifying it), or used wherever a DBA installed it. Its creation is serialised by a
 * transaction-level advisory lock, since stores in several schemas of one database may migrate at once.
 * On a populated store the index is built under the migration's lock on `audit_event`, so writers wait for the build.
 */
export class AddFreeTextIndex1796400000000 implements MigrationInterface {
  name = 'AddFreeTextIndex1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext('vigil.store.pg_trgm'))`);
    const installed = (await queryRunner.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`)) as unknown[];
    if (installed.length === 0) await queryRunner.query(`CREATE EXTENSION pg_trgm SCHEMA public`);
    const [extension] = (await queryRunner.query(
      `SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    )) as { schema: string }[];
    if (!extension) throw new Error('pg_trgm is not installed');
    await queryRunner.query(`
      CREATE FUNCTION audit_event_search_text(description text, attributes jsonb) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN concat_ws(E'\\x1f', description, (
          SELECT string_agg(p.part, E'\\x1f')
            FROM jsonb_each(CASE WHEN jsonb_typeof(attributes) = 'object' THEN attributes END) AS a(key, value)
            CROSS JOIN LATERAL (
              SELECT a.key
              UNION ALL
              SELECT e FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(a.value) = 'array' THEN a.value END) AS e
              UNION ALL
              SELECT a.value #>> '{}' WHERE jsonb_typeof(a.value) <> 'array'
            ) AS p(part)))`);
    await queryRunner.query(
      `CREATE INDEX audit_event_search_trgm_idx ON audit_event USING gin (audit_event_search_text(description, attributes) ${extension.schema}.gin_trgm_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The extension stays: other schemas' stores (or anything else in the database) may use it.
    await queryRunner.query(`DROP INDEX audit_event_search_trgm_idx`);
    await queryRunner.query(`DROP FUNCTION audit_event_search_text(text, jsonb)`);
  }
}
