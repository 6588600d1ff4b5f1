import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit SDK's transactional outbox. Services add this class to their own TypeORM `migrations`
 * list so the table lives in their schema, next to the data whose changes it audits.
 */
export class CreateAuditOutbox1795304932986 implements MigrationInterface {
  name = 'CreateAuditOutbox1795304932986';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "vigil_audit_outbox" (
        "id" bigserial NOT NULL,
        "tenant_id" text NOT NULL,
        "event" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        CONSTRAINT "PK_vigil_audit_outbox" PRIMARY KEY ("id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "vigil_audit_outbox"`);
  }
}
