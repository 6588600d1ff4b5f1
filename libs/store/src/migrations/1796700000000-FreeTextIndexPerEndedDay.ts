import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The expression of every free-text index, `SEARCH_BLOB_SQL` in event-sql.mapper.ts. */
const BLOB = `(coalesce(description, '') || ' ' || coalesce(attributes::text, ''))`;

/**
 * The free-text index is no longer declared on `audit_event`, which gave the day being written one too: every stored
 * event inserted about 33 trigram entries into it, a third of what PostgreSQL spends storing an event with all its
 * indexes (docs/performance.md). Each daily partition now gets its own, `<partition>_search_trgm_idx`, once its day
 * has ended: the PartitionManager builds it (`indexEndedDays`, hourly, CONCURRENTLY), one build off the ingest path
 * instead of the inserts (a plain build costs about half of them, a concurrent one about as much). The text filter is
 * unchanged: the planner uses each partition's index where there is one and reads the tenant's rows of the current
 * day (docs/store.md, "Free text").
 *
 * This drops the parent's index and with it every partition's; the materializer's partition maintenance builds the
 * ended days' again, newest first, after it starts. Until then a text search over those days reads the tenant's rows.
 */
export class FreeTextIndexPerEndedDay1796700000000 implements MigrationInterface {
  name = 'FreeTextIndexPerEndedDay1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS audit_event_search_trgm_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const indexes = (await queryRunner.query(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'audit\\_event\\_p%\\_search\\_trgm\\_idx'`,
    )) as { name: string }[];
    for (const { name } of indexes) await queryRunner.query(`DROP INDEX ${name}`);
    const [extension] = (await queryRunner.query(
      `SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    )) as { schema: string }[];
    if (!extension) throw new Error('pg_trgm is not installed');
    await queryRunner.query(`CREATE INDEX audit_event_search_trgm_idx ON audit_event USING gin (${BLOB} ${extension.schema}.gin_trgm_ops)`);
  }
}
