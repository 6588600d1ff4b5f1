import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys may hold the `platform-admin` role: the installation's operator, the only role that reads across
 * tenants (`allTenants`). Until now only a JWT could carry it, so a platform without an identity provider
 * had no way to run a cross-tenant query.
 */
export class AllowPlatformAdminKeys1795650000000 implements MigrationInterface {
  name = 'AllowPlatformAdminKeys1795650000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key DROP CONSTRAINT api_key_role_check`);
    await queryRunner.query(
      `ALTER TABLE api_key ADD CONSTRAINT api_key_role_check CHECK (role IN ('analyst', 'ops', 'admin', 'platform-admin'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key DROP CONSTRAINT api_key_role_check`);
    await queryRunner.query(`ALTER TABLE api_key ADD CONSTRAINT api_key_role_check CHECK (role IN ('analyst', 'ops', 'admin'))`);
  }
}
