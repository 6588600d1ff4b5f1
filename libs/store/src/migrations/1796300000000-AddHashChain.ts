import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash chain (docs/integrity.md): each stored event's place in its tenant's chain of one category (`chain_seq`,
 * from 1) and its link (`chain_hash`, SHA-256 of the previous link and the event's canonical bytes); the chain heads,
 * one per tenant and category, updated in the transaction that stores the events. Rows stored before this migration
 * have no place in a chain; a tenant's chain starts at its first event stored after it.
 */
export class AddHashChain1796300000000 implements MigrationInterface {
  name = 'AddHashChain1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_event ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash bytea`);
    await queryRunner.query(
      `CREATE INDEX audit_event_chain_idx ON audit_event (tenant_id, category, chain_seq) WHERE chain_seq IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE audit_chain_head (
        tenant_id       text        NOT NULL,
        category        text        NOT NULL,
        seq             bigint      NOT NULL CHECK (seq >= 0),
        hash            bytea       NOT NULL CHECK (length(hash) = 32),
        kafka_topic     text        NOT NULL,
        kafka_partition integer     NOT NULL,
        kafka_offset    bigint      NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, category)
      )`);
    // Checkpoints: a chain's head signed with Ed25519 (daily and on demand), or the anchor a dropped day leaves
    // (kind retention: the highest place among the dropped events, which the walk then starts from).
    await queryRunner.query(`
      CREATE TABLE audit_chain_checkpoint (
        tenant_id  text        NOT NULL,
        category   text        NOT NULL,
        seq        bigint      NOT NULL CHECK (seq > 0),
        hash       bytea       NOT NULL CHECK (length(hash) = 32),
        kind       text        NOT NULL CHECK (kind IN ('signed', 'retention')),
        at         timestamptz NOT NULL,
        key_id     text,
        signature  text,
        PRIMARY KEY (tenant_id, category, seq, kind)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_chain_checkpoint`);
    await queryRunner.query(`DROP TABLE audit_chain_head`);
    await queryRunner.query(`DROP INDEX audit_event_chain_idx`);
    await queryRunner.query(`ALTER TABLE audit_event DROP COLUMN chain_seq, DROP COLUMN chain_hash`);
  }
}
