import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeEvent, makeOrigin, requireStack, SchemaStore } from '@vigil/testing';
import { backfillRollups, PENDING_ROLLUP_TABLE } from './audit-event-rollup.util';
import { toRow } from './audit-event.mapper';
import { AuditEventRepository } from './audit-event.repository';
import { BatchMaterializer } from './batch-materializer.service';
import { RollupFolder } from './rollup-fold.scheduler';

const repository = new AuditEventRepository();

/** Both rollups of the schema, one line per row, in key order. */
async function rollups(store: SchemaStore): Promise<string[]> {
  const { rows } = await store.pool.query<{ line: string }>(
    `SELECT concat_ws(' ', 'h', tenant_id, hour, dimension, value, events, failures) AS line FROM audit_event_hourly
     UNION ALL
     SELECT concat_ws(' ', 'd', tenant_id, day, dimension, value, events, failures) FROM audit_event_daily ORDER BY 1`,
  );
  return rows.map((r) => r.line);
}

async function pending(store: SchemaStore): Promise<number> {
  return Number((await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${PENDING_ROLLUP_TABLE}`)).rows[0]?.n);
}

/** `count` events of a few tenants, actors and IPs over the last hours, stored in one transaction. */
async function storeBatch(store: SchemaStore, count: number, seed: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) =>
    toRow(
      makeEvent({
        tenantId: `fold-${(seed + i) % 3}`,
        time: (Date.now() - ((seed * 7 + i) % 5) * 3_600_000) * 1000,
        outcome: i % 4 === 0 ? 'FAILURE' : 'SUCCESS',
        actor: { id: `user-${(seed + i) % 9}`, name: null, type: 'USER', roles: [] },
        client: { ip: `10.0.${seed % 5}.${i % 17}`, userAgent: null },
      }),
      makeOrigin(),
    ),
  );
  await repository.insertBatchInTransaction(store.pool, rows);
}

describe(RollupFolder.name, () => {
  const store = new SchemaStore('rollup_fold', 6);

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
  });
  after(() => store.drop());

  it('folds while batches are stored, in chunks, and the rollups count each event once', async () => {
    const folder = new RollupFolder(store.pool, 40);
    let storing = true;
    let folds = 0;
    // Two writers and a folder at once, as the materializer's transactions and its fold run.
    const writers = Promise.all(
      [0, 1].map(async (w) => {
        for (let b = 0; b < 15; b++) await storeBatch(store, 60, w * 100 + b);
      }),
    ).finally(() => (storing = false));
    const folding = (async () => {
      while (storing) {
        await folder.fold();
        folds++;
      }
    })();
    await Promise.all([writers, folding]);
    assert.ok(folds > 1, 'folds ran between the batches');
    await storeBatch(store, 60, 999);
    const backlog = await pending(store);
    assert.ok(backlog > 40, 'more counts pending than a chunk');
    assert.deepEqual(await folder.fold(), { folded: backlog, busy: false }, 'a backlog is folded whole, chunk after chunk');
    assert.equal(await pending(store), 0);
    const maintained = await rollups(store);
    await backfillRollups(store.pool);
    assert.deepEqual(maintained, await rollups(store), 'the folded rollups equal the rollups recounted from the events');
  });

  it('never meets a value its key cannot hold: the event is refused before its counts are appended, and folds go on', async () => {
    // 3,200 bytes that do not compress: more than a btree entry holds (2,704), so a fold that met it would fail on
    // every try, for every tenant. A record written to Kafka without the SDK can carry it.
    const name = randomBytes(1600).toString('hex');
    const poison = makeEvent({ tenantId: 'fold-poison', service: { name, version: null, host: null } });
    const good = makeEvent({ tenantId: 'fold-poison' });
    const materializer = new BatchMaterializer(repository, () => true);
    const result = await materializer.store(store.pool, [
      { event: poison, origin: makeOrigin() },
      { event: good, origin: makeOrigin() },
    ]);
    assert.equal(result.stored, 1);
    assert.deepEqual(
      result.rejected.map((r) => [r.event.id, r.detail]),
      [[poison.id, 'service.name: must be at most 1024 bytes of UTF-8']],
    );
    assert.equal((await new RollupFolder(store.pool).fold()).busy, false);
    assert.equal(await pending(store), 0);
  });

  it('fails on every try when a pending count’s key is too long, which is why toRow refuses such a value', async () => {
    // Appended by hand, as a batch would have before toRow refused the value.
    await store.pool.query(
      `INSERT INTO ${PENDING_ROLLUP_TABLE} (tenant_id, hour, dimension, value, events, failures) VALUES ('fold-long', now(), 'service', $1, 1, 0)`,
      [randomBytes(1600).toString('hex')],
    );
    for (let i = 0; i < 2; i++) await assert.rejects(new RollupFolder(store.pool).fold(), { code: '54000' });
    await store.pool.query(`DELETE FROM ${PENDING_ROLLUP_TABLE} WHERE tenant_id = 'fold-long'`);
    assert.equal((await new RollupFolder(store.pool).fold()).busy, false);
  });

  it('stops between chunks when asked, and gives up as busy on tables held past its lock timeout', async () => {
    await storeBatch(store, 60, 321);
    const backlog = await pending(store);
    assert.ok(backlog > 40);
    assert.deepEqual(await new RollupFolder(store.pool, 40).fold(() => true), { folded: 40, busy: false }, 'one chunk, then stopped');
    assert.equal(await pending(store), backlog - 40);
    // A rebuild's switch-over holds the rollup tables while it catches up.
    const holder = await store.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${PENDING_ROLLUP_TABLE} IN EXCLUSIVE MODE`);
      assert.deepEqual(await new RollupFolder(store.pool, 40, 200).fold(), { folded: 0, busy: true });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assert.deepEqual(await new RollupFolder(store.pool).fold(), { folded: backlog - 40, busy: false });
  });

  it('lets one session fold a schema at a time: another finds it busy and moves nothing', async () => {
    await storeBatch(store, 10, 7);
    const before = await pending(store);
    assert.ok(before > 0);
    const holder = await store.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_event.rollup-fold'))`);
      assert.deepEqual(await new RollupFolder(store.pool).fold(), { folded: 0, busy: true });
      assert.equal(await pending(store), before);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assert.deepEqual(await new RollupFolder(store.pool).fold(), { folded: before, busy: false });
  });
});
