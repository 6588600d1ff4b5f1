import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The primary key becomes `(id, time)` and the separate `audit_event_id_idx` goes: one index fewer to write for every
 * stored event (docs/performance.md measured the store's insert at 7 µs a row faster), while a lookup by id is still
 * one probe per daily partition, now into the key. The key's column set is unchanged, so `ON CONFLICT (time, id)`
 * still infers it. UUIDv7 ids ascend with time, so the key grows at its right edge like the old one did.
 *
 * What no longer has an index of its own: a platform-wide page in time order (a platform-admin key, no tenant), which
 * the `(time, id)` key served; it now reads the range through the BRIN index on `time` and sorts it. Tenant pages use
 * `(tenant_id, time, id)` as before.
 *
 * On a populated store the key is rebuilt under the migration's lock on `audit_event`: writers wait for it.
 */
export class KeyLeadsWithId1796500000000 implements MigrationInterface {
  name = 'KeyLeadsWithId1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_event DROP CONSTRAINT audit_event_pk`);
    await queryRunner.query(`ALTER TABLE audit_event ADD CONSTRAINT audit_event_pk PRIMARY KEY (id, time)`);
    await queryRunner.query(`DROP INDEX audit_event_id_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX audit_event_id_idx ON audit_event (id)`);
    await queryRunner.query(`ALTER TABLE audit_event DROP CONSTRAINT audit_event_pk`);
    await queryRunner.query(`ALTER TABLE audit_event ADD CONSTRAINT audit_event_pk PRIMARY KEY (time, id)`);
  }
}
