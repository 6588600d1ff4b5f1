import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createScratchStore, makeEvent, makeOrigin, microsOf, requireStack, type ScratchStore } from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { AuditEventRepository } from './audit-event.repository';
import { ManualClock } from '@vigil/common';
import { DEFAULT_PARTITION, freeTextIndexName, PartitionManager, partitionName, startOfUtcDay } from './partition.manager';
import { RollupFolder } from './rollup-fold.scheduler';
import { DEFAULT_STORE_OPTIONS } from './store.config';
import { TenantScope } from './tenant-scope.types';

const DAY = 86_400_000;
const repository = new AuditEventRepository();

/** Records every statement the pool's clients send: the proof that retention never deletes rows. */
function recordStatements(pool: Pool): string[] {
  const statements: string[] = [];
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((text: unknown, ...rest: unknown[]) => {
      statements.push(typeof text === 'string' ? text : JSON.stringify(text));
      return original(text, ...rest);
    }) as typeof client.query;
  });
  return statements;
}

async function insertAt(store: ScratchStore, at: Date, count = 1, tenantId = 'tenant-p'): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => makeEvent({ tenantId, time: microsOf(at, i) }));
  await store.insert(events.map((e) => toRow(e, makeOrigin())));
  return events.map((e) => e.id);
}

async function partitionOf(store: ScratchStore, id: string): Promise<string | undefined> {
  const { rows } = await store.pool.query<{ p: string }>(`SELECT tableoid::regclass::text AS p FROM audit_event WHERE id = $1`, [id]);
  return rows[0]?.p;
}

describe(PartitionManager.name, () => {
  const stores: ScratchStore[] = [];
  const today = startOfUtcDay(new Date());
  const scratch = async (): Promise<ScratchStore> => {
    const store = await createScratchStore();
    stores.push(store);
    return store;
  };

  before(() => requireStack(['postgres']));
  after(() => Promise.all(stores.map((s) => s.close())));

  it('creates one partition per day from the retention start to the days ahead, and nothing more on a second run', async () => {
    const store = await scratch();
    const manager = new PartitionManager(store.pool, new ManualClock(new Date(today.getTime() + 5 * 3_600_000)), DEFAULT_STORE_OPTIONS);
    const first = await manager.maintain();
    assert.equal(first.created.length, 30 + 1 + 7);
    const partitions = await manager.listPartitions();
    assert.equal(partitions[0]?.name, partitionName(new Date(today.getTime() - 30 * DAY)));
    assert.equal(partitions.at(-1)?.name, partitionName(new Date(today.getTime() + 7 * DAY)));
    assert.deepEqual(await manager.maintain(), { created: [], dropped: [], movedFromDefault: 0, deferred: [] });
  });

  it('drops whole expired partitions with their rows, creates the new window, and issues no DELETE', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    await new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS).maintain();
    await insertAt(store, new Date(today.getTime() - 20 * DAY), 5);
    await new RollupFolder(store.pool).fold();
    await insertAt(store, new Date(today.getTime() + 3_600_000), 5);
    const rollupCounts = async (): Promise<number[]> => {
      const { rows } = await store.pool.query<{ folded: string; pending: string }>(
        `SELECT (SELECT count(*) FROM audit_event_hourly) AS folded, (SELECT count(*) FROM audit_event_rollup_pending) AS pending`,
      );
      return [Number(rows[0]?.folded), Number(rows[0]?.pending)];
    };
    assert.ok(
      (await rollupCounts()).every((n) => n > 0),
      'counts folded and counts pending',
    );

    clock.advanceDays(40);
    const spied = store.newPool();
    const statements = recordStatements(spied);
    const manager = new PartitionManager(spied, clock, DEFAULT_STORE_OPTIONS);
    const result = await manager.maintain();

    assert.equal(result.dropped.length, 38, 'every partition of the old window expired');
    assert.deepEqual(await manager.listPartitions().then((ps) => ps.map((p) => p.name)), result.created);
    assert.equal(result.created[0], partitionName(new Date(today.getTime() + 10 * DAY)));
    assert.equal(result.created.at(-1), partitionName(new Date(today.getTime() + 47 * DAY)));
    const { rows } = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event`);
    assert.equal(rows[0]?.n, '0', 'the expired rows went with their partitions');
    // Their counts too, folded or not: a pending count folded later would bring an expired hour back.
    assert.deepEqual(await rollupCounts(), [0, 0], 'the expired rollup counts are deleted');
    assert.ok(statements.some((s) => /DETACH PARTITION/.test(s)) && statements.some((s) => /DROP TABLE/.test(s)));
    assert.deepEqual(
      // The rollups and the chain checkpoints are small tables; no event row is ever deleted one by one.
      statements.filter(
        (s) => /\b(DELETE|TRUNCATE)\b/i.test(s) && !/\b(audit_event_(hourly|daily|rollup_pending)|audit_chain_checkpoint)\b/.test(s),
      ),
      [],
      'no event is deleted row by row (only the small derived rollups and checkpoints are)',
    );
  });

  it('defers the drop of a partition a long query holds, and still creates the new ones', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    await new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS).maintain();
    const reader = await store.pool.connect();
    try {
      await reader.query('BEGIN');
      // An analyst reading the oldest day: its lock on the parent blocks DETACH, not ATTACH.
      await reader.query('SELECT count(*) FROM audit_event WHERE time >= $1 AND time < $2', [
        new Date(today.getTime() - 30 * DAY),
        new Date(today.getTime() - 29 * DAY),
      ]);
      clock.advanceDays(1);
      const result = await new PartitionManager(store.pool, clock, { ...DEFAULT_STORE_OPTIONS, lockTimeoutMs: 200 }).maintain();
      assert.deepEqual(result.created, [partitionName(new Date(today.getTime() + 8 * DAY))]);
      assert.deepEqual(result.deferred, [partitionName(new Date(today.getTime() - 30 * DAY))]);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
    const next = await new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS).maintain();
    assert.deepEqual(next.dropped, [partitionName(new Date(today.getTime() - 30 * DAY))]);
  });

  it('moves an event waiting in the default partition into its day when that partition is created', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    const manager = new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS);
    await manager.maintain();
    const [id] = await insertAt(store, new Date(today.getTime() + 20 * DAY + 1234), 1, 'tenant-move');
    assert.equal(await partitionOf(store, id ?? ''), DEFAULT_PARTITION);
    clock.advanceDays(15);
    const result = await manager.maintain();
    assert.equal(result.movedFromDefault, 1);
    assert.equal(await partitionOf(store, id ?? ''), partitionName(new Date(today.getTime() + 20 * DAY)));
    assert.equal(
      (await repository.findById(store.pool, TenantScope.tenant('tenant-move'), id ?? ''))?.event.time,
      microsOf(new Date(today.getTime() + 20 * DAY + 1234)),
    );
  });

  it('sweeps the default partition by the same retention rule: events dated past every partition, and ones left from before theirs', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    const manager = new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS);
    await manager.maintain();
    // Year 2200 (a raw producer's clock gone wrong): no partition will ever be made for it.
    const [farFuture] = await insertAt(store, new Date(Date.UTC(2200, 0, 1)), 1, 'tenant-sweep');
    const [soon] = await insertAt(store, new Date(today.getTime() + 20 * DAY), 1, 'tenant-sweep');
    assert.equal(await partitionOf(store, farFuture ?? ''), DEFAULT_PARTITION);
    assert.equal((await manager.maintain()).sweptFromDefault, undefined, 'nothing to sweep yet');
    // 40 days on: both were stored more than the 30 days of retention ago; the one of day +20 moved to its partition
    // when that was created, and has since been dropped with it.
    clock.advanceDays(40);
    const result = await manager.maintain();
    assert.equal(result.sweptFromDefault, 1);
    assert.equal(await partitionOf(store, farFuture ?? ''), undefined);
    assert.equal(await partitionOf(store, soon ?? ''), partitionName(new Date(today.getTime() + 20 * DAY)));
    const { rows } = await store.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${DEFAULT_PARTITION}`);
    assert.equal(rows[0]?.n, 0);
  });

  it('is safe when two instances maintain the same store at once', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    const results = await Promise.all(
      [store.pool, store.newPool()].map((pool) => new PartitionManager(pool, clock, DEFAULT_STORE_OPTIONS).maintain()),
    );
    assert.equal(results.flatMap((r) => r.created).length, 38);
    assert.equal((await new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS).listPartitions()).length, 38);
  });

  it('gives an ended day its free-text index once, never the day being written, and gives up on a build a writer holds or a stop cancels', async () => {
    const store = await scratch();
    const clock = new ManualClock(new Date(today.getTime() + 3_600_000));
    const manager = new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS);
    await manager.maintain();
    const todays = partitionName(today);
    const yesterdays = partitionName(new Date(today.getTime() - DAY));
    const indexState = async (): Promise<boolean | undefined> => {
      const { rows } = await store.pool.query<{ valid: boolean }>(
        `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
        [freeTextIndexName(todays)],
      );
      return rows[0]?.valid;
    };
    assert.deepEqual(await manager.indexEndedDays(), { built: [], deferred: [] }, 'the past days got theirs when they were created');
    assert.equal(await indexState(), undefined, 'none on the day being written');
    const past = await store.pool.query(`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, [
      freeTextIndexName(yesterdays),
    ]);
    assert.equal(past.rowCount, 1);
    await insertAt(store, new Date(today.getTime() + 2 * 3_600_000), 50);

    clock.advanceDays(1);
    // A writer's transaction on the day: CREATE INDEX CONCURRENTLY waits for it to end.
    const writer = await store.pool.connect();
    const waitingFor = async (statement: string): Promise<boolean> => {
      for (let i = 0; i < 400; i++) {
        const { rows } = await store.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE $1 AND wait_event_type = 'Lock'`, [
          `${statement}%${todays}%`,
        ]);
        if (rows.length > 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return false;
    };
    try {
      await writer.query('BEGIN');
      await writer.query(`LOCK TABLE ${todays} IN ROW EXCLUSIVE MODE`);
      const logged: unknown[] = [];
      const logger = { info: () => undefined, warn: (obj: unknown) => void logged.push(obj) };
      const stopping = new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS, logger);
      const run = stopping.indexEndedDays();
      assert.equal(await waitingFor('CREATE INDEX CONCURRENTLY'), true, 'the build waits for the writer');
      const maintained = await Promise.race([
        manager.maintain(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('maintain waited for the build')), 20_000)),
      ]);
      assert.deepEqual(maintained.deferred, [], 'partition maintenance does not wait for index builds');
      assert.deepEqual(maintained.created, [partitionName(new Date(today.getTime() + 8 * DAY))]);
      assert.deepEqual(
        await new PartitionManager(store.pool, clock, DEFAULT_STORE_OPTIONS).indexEndedDays(),
        { built: [], deferred: [], busy: true },
        'another instance does not wait for the build',
      );
      await stopping.stopIndexing();
      assert.deepEqual(await run, { built: [], deferred: [todays] }, 'a stop cancels the build in progress');
      assert.deepEqual(logged, [{ partition: todays, reason: 'cancelled' }], 'cancelled, not timed out');
      assert.equal(await indexState(), false, 'an invalid index is left behind');

      const impatient = new PartitionManager(store.pool, clock, { ...DEFAULT_STORE_OPTIONS, indexLockTimeoutMs: 200 });
      assert.deepEqual(await impatient.indexEndedDays(), { built: [], deferred: [todays] }, 'the lock timeout gives up');
      assert.equal(await indexState(), false);
    } finally {
      await writer.query('ROLLBACK');
      writer.release();
    }
    assert.deepEqual(await manager.indexEndedDays(), { built: [todays], deferred: [] }, 'the next run drops the invalid one and builds it');
    assert.equal(await indexState(), true);
    assert.deepEqual(await manager.indexEndedDays(), { built: [], deferred: [] });
  });

  it('tells the consumer which events are already out of retention', () => {
    const clock = new ManualClock(new Date(today.getTime() + 13 * 3_600_000));
    const manager = new PartitionManager(null as unknown as Pool, clock, { retentionDays: 30, partitionsAheadDays: 7 });
    const start = microsOf(new Date(today.getTime() - 30 * DAY));
    assert.equal(manager.retentionStart().getTime(), today.getTime() - 30 * DAY);
    assert.equal(manager.isWithinRetention(start), true);
    assert.equal(manager.isWithinRetention(start - 1), false);
    clock.advanceDays(1);
    assert.equal(manager.isWithinRetention(start), false, 'a day later the same event has expired');
  });
});
