import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys may hold the `producer` role: a service that publishes events through the ingest gateway, for its key's
 * tenant only. A producer key reads nothing (the query API refuses it) and an analyst's key cannot publish.
 */
export class AllowProducerKeys1796200000000 implements MigrationInterface {
  name = 'AllowProducerKeys1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key DROP CONSTRAINT api_key_role_check`);
    await queryRunner.query(
      `ALTER TABLE api_key ADD CONSTRAINT api_key_role_check CHECK (role IN ('analyst', 'ops', 'admin', 'platform-admin', 'producer'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM api_key WHERE role = 'producer'`);
    await queryRunner.query(`ALTER TABLE api_key DROP CONSTRAINT api_key_role_check`);
    await queryRunner.query(
      `ALTER TABLE api_key ADD CONSTRAINT api_key_role_check CHECK (role IN ('analyst', 'ops', 'admin', 'platform-admin'))`,
    );
  }
}
