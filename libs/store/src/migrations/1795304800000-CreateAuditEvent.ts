import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The partitioned `audit_event` table, its default partition and the indexes of the analyst queries
 * (docs/store.md justifies each). Names are unqualified: the connection's search_path picks the schema,
 * so a rebuild or a test can migrate a schema of its own. Daily partitions are not created here:
 * they depend on the clock, and the PartitionManager owns them.
 */
export class CreateAuditEvent1795304800000 implements MigrationInterface {
  name = 'CreateAuditEvent1795304800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_event (
        tenant_id       text           NOT NULL,
        time            timestamptz(6) NOT NULL,
        id              uuid           NOT NULL,
        observed_time   timestamptz(6) NOT NULL,
        category        text           NOT NULL,
        action          text           NOT NULL,
        outcome         text           NOT NULL,
        severity        text           NOT NULL,
        actor_id        text           NOT NULL,
        actor_name      text,
        actor_type      text           NOT NULL,
        actor_roles     text[]         NOT NULL DEFAULT '{}',
        client_ip       inet,
        user_agent      text,
        service_name    text           NOT NULL,
        service_version text,
        service_host    text,
        http_method     text,
        http_url        text,
        http_operation  text,
        http_status     integer,
        correlation_id  text,
        trace_id        text,
        span_id         text,
        description     text,
        targets         jsonb          NOT NULL DEFAULT '[]',
        payload         jsonb,
        attributes      jsonb          NOT NULL DEFAULT '{}',
        kafka_topic     text           NOT NULL,
        kafka_partition integer        NOT NULL,
        kafka_offset    bigint         NOT NULL,
        ingested_at     timestamptz(6) NOT NULL DEFAULT now(),
        CONSTRAINT audit_event_pk PRIMARY KEY (time, id)
      ) PARTITION BY RANGE (time)`);
    await queryRunner.query(`CREATE TABLE audit_event_default PARTITION OF audit_event DEFAULT`);
    const indexes = [
      `CREATE INDEX audit_event_tenant_time_idx ON audit_event (tenant_id, time DESC, id DESC)`,
      `CREATE INDEX audit_event_id_idx ON audit_event (id)`,
      `CREATE INDEX audit_event_tenant_actor_time_idx ON audit_event (tenant_id, actor_id, time DESC, id DESC)`,
      `CREATE INDEX audit_event_tenant_action_time_idx ON audit_event (tenant_id, action text_pattern_ops, time DESC, id DESC)`,
      `CREATE INDEX audit_event_targets_idx ON audit_event USING gin (targets jsonb_path_ops)`,
      `CREATE INDEX audit_event_tenant_client_ip_time_idx ON audit_event (tenant_id, client_ip, time DESC) WHERE client_ip IS NOT NULL`,
      `CREATE INDEX audit_event_tenant_failure_time_idx ON audit_event (tenant_id, time DESC, id DESC) INCLUDE (action, actor_id) WHERE outcome = 'FAILURE'`,
      `CREATE INDEX audit_event_time_brin_idx ON audit_event USING brin (time)`,
    ];
    for (const sql of indexes) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS audit_event`);
  }
}
