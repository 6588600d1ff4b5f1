import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeEvent, makeOrigin, requireStack, SchemaStore } from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { AuditEventRepository } from './audit-event.repository';
import { BatchMaterializer } from './batch-materializer.service';
import { StoreErrorCode } from './store.exception';
import { RollupFolder } from './rollup-fold.scheduler';
import { StoreRebuildRepository } from './store-rebuild.repository';

describe(StoreRebuildRepository.name, () => {
  const live = new SchemaStore('rb_live');
  const staging = new SchemaStore('rb_staging');
  const rebuild = new StoreRebuildRepository();
  let liveOrigin = '';
  let liveNext = 0n;
  const count = async (store: SchemaStore, table: string): Promise<number> =>
    Number((await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${store.schema}.${table}`)).rows[0]?.n);

  before(async () => {
    await requireStack(['postgres']);
    await Promise.all([live.create(), staging.create()]);
    const origin = makeOrigin();
    liveOrigin = `${origin.topic}:${origin.partition}`;
    liveNext = BigInt(origin.offset) + 1n;
    await new BatchMaterializer(new AuditEventRepository(), () => true).store(live.pool, [{ event: makeEvent(), origin }]);
    const rebuilt = [makeEvent(), makeEvent(), makeEvent()].map((e, i) =>
      toRow({ ...e, id: `0190f5c2-0000-7000-8000-00000000000${i}` }, makeOrigin()),
    );
    await new AuditEventRepository().insertBatchInTransaction(staging.pool, rebuilt);
  });
  after(() => Promise.all([live.drop(), staging.drop()]));

  it('moves the rebuilt events, their partitions and rollups over the live ones in one step', async () => {
    assert.equal(await rebuild.currentSchema(live.pool), live.schema);
    assert.equal(await rebuild.schemaExists(live.pool, staging.schema), true);
    const { client, livePositions } = await rebuild.beginSwitch(live.pool, live.schema);
    assert.deepEqual([...livePositions], [[liveOrigin, liveNext]], 'where the live tables stand, from their chain heads');
    // A writer (the live materializer) waits for the switch, then writes into the rebuilt tables.
    let written = false;
    const writer = live.pool.query(`UPDATE ${live.schema}.audit_chain_head SET updated_at = now()`).then(() => (written = true));
    // So does the live fold of the rollup counts, whose tables the switch drops and replaces.
    let folded = false;
    const fold = new RollupFolder(live.pool).fold().then(() => (folded = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(written, false, 'the live tables are locked against writes during the switch');
    assert.equal(folded, false, 'the rollups are locked against a fold during the switch');
    const partitions = await rebuild.finishSwitch(client, staging.schema, live.schema);
    await writer;
    await fold;
    assert.ok(partitions >= 1, 'at least the default partition moved');
    assert.equal(await count(live, 'audit_chain_head'), 0, 'the rebuilt chain heads replaced the live ones');
    assert.equal(await count(live, 'audit_event'), 3);
    // The rebuild's counts came with its tables, pending, and the fold that waited moved them into the rollups.
    const { rows: rolled } = await live.pool.query<{ n: string }>(
      `SELECT sum(events)::text AS n FROM ${live.schema}.audit_event_hourly WHERE dimension = 'outcome'`,
    );
    assert.equal(rolled[0]?.n, '3', 'the rollups count the three rebuilt events, not the live one');
    assert.equal(await count(live, 'audit_event_rollup_pending'), 0);
    const left = await live.pool.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'audit_event%'`, [staging.schema]);
    assert.equal(left.rowCount, 0, 'no event or rollup table is left in the staging schema');
    // The search function came with the table, so the live schema's text filter finds its exact test, and dropping
    // the staging schema (as the rebuild does) leaves it in place.
    const functions = async (): Promise<string[]> =>
      (
        await live.pool.query<{ schema: string }>(
          `SELECT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.proname = 'audit_event_search_text' AND n.nspname IN ($1, $2)`,
          [live.schema, staging.schema],
        )
      ).rows.map((r) => r.schema);
    assert.deepEqual(await functions(), [live.schema]);
    await rebuild.dropSchema(live.pool, staging.schema);
    const found = await live.pool.query(`SELECT 1 FROM audit_event WHERE audit_event_search_text(description, attributes) ILIKE '%login%'`);
    assert.equal(found.rowCount, 3, 'the unqualified call resolves in the live schema');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(rebuild.dropSchema(live.pool, 'x; DROP TABLE y'), { code: StoreErrorCode.INVALID_SCHEMA });
  });
});
