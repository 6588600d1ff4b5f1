import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hourly and daily rollups of `audit_event` that top-N reads (docs/store.md): per tenant, UTC hour or day,
 * dimension (client_ip, actor, action, category, outcome, service) and value, the events and the failures.
 * Filled from the events already stored; from then on `insertBatch` maintains them in the same statement
 * as the insert. The SQL is frozen here (not shared with the code) so the migration never changes.
 */
export class CreateAuditEventRollups1795500000000 implements MigrationInterface {
  name = 'CreateAuditEventRollups1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of [
      ['audit_event_hourly', 'hour'],
      ['audit_event_daily', 'day'],
    ] as const) {
      await queryRunner.query(`
        CREATE TABLE ${table} (
          tenant_id text        NOT NULL,
          ${column}  timestamptz NOT NULL,
          dimension text        NOT NULL,
          value     text        NOT NULL,
          events    bigint      NOT NULL,
          failures  bigint      NOT NULL,
          CONSTRAINT ${table}_pk PRIMARY KEY (tenant_id, dimension, ${column}, value)
        ) WITH (fillfactor = 90)`);
    }
    await queryRunner.query(`
      CREATE TEMP TABLE audit_event_rollup_backfill ON COMMIT DROP AS
      SELECT r.tenant_id, date_trunc('hour', r.time, 'UTC') AS hour, d.dimension, d.value,
             count(*) AS events, count(*) FILTER (WHERE r.outcome = 'FAILURE') AS failures
      FROM audit_event r CROSS JOIN LATERAL (VALUES ('client_ip', host(r.client_ip)), ('actor', r.actor_id),
        ('action', r.action), ('category', r.category), ('outcome', r.outcome), ('service', r.service_name)) AS d(dimension, value)
      WHERE d.value IS NOT NULL GROUP BY 1, 2, 3, 4`);
    await queryRunner.query(`INSERT INTO audit_event_hourly SELECT * FROM audit_event_rollup_backfill`);
    await queryRunner.query(`
      INSERT INTO audit_event_daily
      SELECT tenant_id, date_trunc('day', hour, 'UTC'), dimension, value, sum(events), sum(failures)
      FROM audit_event_rollup_backfill GROUP BY 1, 2, 3, 4`);
    await queryRunner.query(`DROP TABLE audit_event_rollup_backfill`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS audit_event_daily`);
    await queryRunner.query(`DROP TABLE IF EXISTS audit_event_hourly`);
  }
}
