import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the outbox relay moves a row it cannot publish (an event that no longer validates, one Kafka refuses,
 * or one that failed maxAttempts times), with the reason, so the rows behind it are published. Services add
 * this class to their TypeORM `migrations` after CreateAuditOutbox; `vigil outbox list` shows the table.
 */
export class CreateAuditOutboxDead1796000000000 implements MigrationInterface {
  name = 'CreateAuditOutboxDead1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "vigil_audit_outbox_dead" (
        "id" bigint NOT NULL,
        "tenant_id" text NOT NULL,
        "event" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL,
        "attempts" integer NOT NULL,
        "reason" text NOT NULL,
        "dead_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_vigil_audit_outbox_dead" PRIMARY KEY ("id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "vigil_audit_outbox_dead"`);
  }
}
