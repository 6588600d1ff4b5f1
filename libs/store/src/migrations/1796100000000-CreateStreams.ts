import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-tenant SIEM streams (libs/streams): the streams a tenant's admins manage, the checkpoint of a stream that left
 * the shared path, and the health the streams app reports. Secrets are stored sealed (AES-256-GCM), never in clear.
 */
export class CreateStreams1796100000000 implements MigrationInterface {
  name = 'CreateStreams1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE vigil_stream (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL CHECK (octet_length(tenant_id) BETWEEN 1 AND 128),
        name text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 200),
        type text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        config jsonb NOT NULL,
        secrets bytea,
        secrets_key_id text,
        version integer NOT NULL DEFAULT 1,
        suspended_at timestamptz,
        suspended_reason text,
        replay_from timestamptz,
        replay_requested_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        updated_by text NOT NULL,
        CONSTRAINT vigil_stream_name_unique UNIQUE (tenant_id, name)
      )`);
    await queryRunner.query(`
      CREATE TABLE vigil_stream_offset (
        stream_id uuid NOT NULL REFERENCES vigil_stream (id) ON DELETE CASCADE,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        PRIMARY KEY (stream_id, topic, partition)
      )`);
    await queryRunner.query(`
      CREATE TABLE vigil_stream_health (
        stream_id uuid PRIMARY KEY REFERENCES vigil_stream (id) ON DELETE CASCADE,
        state text NOT NULL,
        reason text,
        lag_events bigint NOT NULL DEFAULT 0,
        lag_seconds double precision NOT NULL DEFAULT 0,
        delivered_24h bigint NOT NULL DEFAULT 0,
        dead_lettered_total bigint NOT NULL DEFAULT 0,
        last_success_at timestamptz,
        last_error_at timestamptz,
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE vigil_stream_health`);
    await queryRunner.query(`DROP TABLE vigil_stream_offset`);
    await queryRunner.query(`DROP TABLE vigil_stream`);
  }
}
