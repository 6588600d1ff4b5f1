import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys of the query API. Only an HMAC of the key is stored (the key is shown once, at creation);
 * `prefix` is the key's public part, unique, so a request finds its row with one index probe.
 * Revoking sets `revoked_at`; rows are kept so `apikeys list` shows what existed.
 */
export class CreateApiKey1795400000000 implements MigrationInterface {
  name = 'CreateApiKey1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_key (
        id           uuid           NOT NULL DEFAULT gen_random_uuid(),
        prefix       text           NOT NULL,
        key_hash     text           NOT NULL,
        tenant_id    text           NOT NULL,
        role         text           NOT NULL,
        name         text,
        created_at   timestamptz(6) NOT NULL DEFAULT now(),
        revoked_at   timestamptz(6),
        CONSTRAINT api_key_pk PRIMARY KEY (id),
        CONSTRAINT api_key_prefix_key UNIQUE (prefix),
        CONSTRAINT api_key_role_check CHECK (role IN ('analyst', 'ops', 'admin'))
      )`);
    await queryRunner.query(`CREATE INDEX api_key_tenant_idx ON api_key (tenant_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS api_key`);
  }
}
