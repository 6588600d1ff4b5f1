import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rollups' pending counts (docs/store.md, "Rollups"). The transaction that stores a batch of events used to upsert
 * their counts into `audit_event_hourly` and `audit_event_daily` itself: every batch updated the same hot rows (a
 * tenant's hour of `outcome: SUCCESS`, its busiest actions), so concurrent batches waited on each other's row locks,
 * and the publish → visible p99 waited on the upserts (docs/performance.md). The batch now appends its counts here,
 * in the same transaction, so they stay exactly once with the events: no key, no conflict, no row lock. The
 * materializer folds them into the rollups every second (`RollupFolder`), deleting what it adds in one statement;
 * top-N reads the rollups and the pending counts together, so its answers are exact before a fold too.
 *
 * No index: the table holds about a second of counts and is read whole by the fold, and by a top-N query over its
 * tenant's rows. Vacuumed after every 10,000 deleted rows rather than after a fifth of the table, which for a table
 * emptied every second would be never, and without the cost delay, so that a scan does not wade through dead rows.
 */
export class AddRollupPending1796800000000 implements MigrationInterface {
  name = 'AddRollupPending1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_event_rollup_pending (
        tenant_id text        NOT NULL,
        hour      timestamptz NOT NULL,
        dimension text        NOT NULL,
        value     text        NOT NULL,
        events    bigint      NOT NULL,
        failures  bigint      NOT NULL
      ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_cost_delay = 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // What was pending goes into the rollups first: after the down, the rollups are maintained by the insert again.
    // Locked first, so that no fold or stored batch changes it between this read and the drop.
    await queryRunner.query(`LOCK TABLE audit_event_rollup_pending IN ACCESS EXCLUSIVE MODE`);
    await queryRunner.query(`
      WITH h AS (SELECT tenant_id, hour, dimension, value, sum(events) AS events, sum(failures) AS failures
                   FROM audit_event_rollup_pending GROUP BY 1, 2, 3, 4),
        hourly AS (INSERT INTO audit_event_hourly SELECT * FROM h ORDER BY tenant_id, dimension, hour, value
          ON CONFLICT (tenant_id, dimension, hour, value)
          DO UPDATE SET events = audit_event_hourly.events + EXCLUDED.events, failures = audit_event_hourly.failures + EXCLUDED.failures)
      INSERT INTO audit_event_daily
      SELECT tenant_id, date_trunc('day', hour, 'UTC'), dimension, value, sum(events), sum(failures) FROM h
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4
      ON CONFLICT (tenant_id, dimension, day, value)
      DO UPDATE SET events = audit_event_daily.events + EXCLUDED.events, failures = audit_event_daily.failures + EXCLUDED.failures`);
    await queryRunner.query(`DROP TABLE audit_event_rollup_pending`);
  }
}
