import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScratchStore, makeEvent, makeOrigin, microsOf, requireStack, type ScratchStore, testEnv } from '@vigil/testing';
import { toRow, type AuditEventRow } from './audit-event.mapper';
import { AuditEventRepository } from './audit-event.repository';
import { Clock } from '@vigil/common';
import { createStoreDataSource } from './data-source.factory';
import { DEFAULT_PARTITION, PartitionManager, partitionName, startOfUtcDay } from './partition.manager';
import { DEFAULT_STORE_OPTIONS } from './store.config';
import { TenantScope } from './tenant-scope.types';

const rowsFor = (count: number, at: Date, tenantId = 'tenant-a'): AuditEventRow[] =>
  Array.from({ length: count }, (_, i) => toRow(makeEvent({ tenantId, time: microsOf(at, i) }), makeOrigin()));

describe(AuditEventRepository.name, () => {
  const repository = new AuditEventRepository();
  let store: ScratchStore;

  before(async () => {
    await requireStack(['postgres']);
    store = await createScratchStore();
    await new PartitionManager(store.pool, new Clock(), DEFAULT_STORE_OPTIONS).maintain();
  });
  after(() => store.close());

  const count = async (where = 'true', params: unknown[] = []): Promise<number> =>
    Number((await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event WHERE ${where}`, params)).rows[0]?.n);

  it('inserts a batch once: re-inserting it, or a batch overlapping it, adds only what is new', async () => {
    const rows = rowsFor(500, new Date(Date.now() - 3_600_000), 'tenant-idem');
    assert.equal(await store.insert(rows), 500);
    assert.equal(await store.insert(rows), 0);
    const more = rowsFor(100, new Date(Date.now() - 7_200_000), 'tenant-idem');
    assert.equal(await store.insert([...rows.slice(0, 50), ...more, ...more]), 100);
    assert.equal(await count('tenant_id = $1', ['tenant-idem']), 600);
  });

  it('inserts nothing for an empty batch', async () => {
    assert.equal(await store.insert([]), 0);
  });

  it('round-trips every field, with microsecond times and the Kafka origin', async () => {
    const event = makeEvent({
      time: microsOf(new Date(Date.now() - 60_000), 789),
      tenantId: 'tenant-rt',
      description: 'line 1\nline 2\ttab \\ backslash, \\N is not null, \r',
      attributes: { path: 'C:\\temp\\new', quote: '"q"', empty: '', list: ['x\ty', '\\N'], n: -1.25e-7, big: 9007199254740991 },
    });
    const origin = { topic: 'audit.authentication', partition: 7, offset: '9007199254740993' };
    assert.equal(await store.insert([toRow(event, origin)]), 1);
    const stored = await repository.findById(store.pool, TenantScope.tenant('tenant-rt'), event.id);
    assert.ok(stored);
    assert.deepEqual(stored.event, event);
    assert.deepEqual(stored.origin, origin);
    assert.ok(Math.abs(stored.ingestedAt.getTime() - Date.now()) < 60_000);
  });

  it('does not show one tenant an event of another', async () => {
    const event = makeEvent({ tenantId: 'tenant-owner' });
    await store.insert([toRow(event, makeOrigin())]);
    assert.equal(await repository.findById(store.pool, TenantScope.tenant('tenant-other'), event.id), null);
    assert.equal(await repository.findById(store.pool, TenantScope.tenant('tenant-owner'), 'not-a-uuid'), null);
  });

  it("writes inside the caller's transaction: a rollback leaves nothing behind", async () => {
    const client = await store.pool.connect();
    const rows = rowsFor(10, new Date(), 'tenant-rollback');
    try {
      await client.query('BEGIN');
      assert.equal(await repository.insertBatch(client, rows), 10);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    assert.equal(await count('tenant_id = $1', ['tenant-rollback']), 0);
  });

  it('is still correct on a connection outside a transaction', async () => {
    const client = await store.pool.connect();
    try {
      const rows = rowsFor(30, new Date(), 'tenant-autocommit');
      assert.equal(await repository.insertBatch(client, rows), 30);
      assert.equal(await repository.insertBatch(client, rows.slice(0, 10)), 0);
    } finally {
      client.release();
    }
    assert.equal(await count('tenant_id = $1', ['tenant-autocommit']), 30);
  });

  it('works on a TypeORM entity manager too', async () => {
    const dataSource = createStoreDataSource({ databaseUrl: testEnv.databaseUrl, schema: store.schema });
    await dataSource.initialize();
    try {
      const rows = rowsFor(20, new Date(), 'tenant-typeorm');
      const inserted = await dataSource.transaction((manager) => repository.insertBatch(manager, rows));
      assert.equal(inserted, 20);
      assert.equal(await dataSource.transaction((manager) => repository.insertBatch(manager, rows)), 0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('keeps an event from beyond the partitions made ahead in the default partition, queryable', async () => {
    const future = makeEvent({ tenantId: 'tenant-future', time: microsOf(new Date(Date.now() + 400 * 86_400_000)) });
    assert.equal(await store.insert([toRow(future, makeOrigin())]), 1);
    const { rows } = await store.pool.query<{ partition: string }>(
      `SELECT tableoid::regclass::text AS partition FROM audit_event WHERE id = $1`,
      [future.id],
    );
    assert.deepEqual(rows, [{ partition: DEFAULT_PARTITION }]);
    assert.equal((await repository.findById(store.pool, TenantScope.tenant('tenant-future'), future.id))?.event.time, future.time);
  });

  it("serves a tenant's keyset page from the tenant+time index", async () => {
    const today = startOfUtcDay(new Date());
    for (const tenant of ['k1', 'k2', 'k3', 'k4']) {
      for (let day = 0; day < 3; day += 1) {
        await store.insert(rowsFor(1500, new Date(today.getTime() - day * 86_400_000 + 3_600_000), tenant));
      }
    }
    await store.pool.query('ANALYZE audit_event');
    const { rows } = await store.pool.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON)
       SELECT * FROM audit_event
       WHERE tenant_id = $1 AND time >= $2 AND time < $3 AND (time, id) < ($4, $5)
       ORDER BY time DESC, id DESC LIMIT 100`,
      [
        'k2',
        new Date(today.getTime() - 2 * 86_400_000),
        new Date(today.getTime() + 86_400_000),
        new Date(),
        'ffffffff-ffff-7fff-bfff-ffffffffffff',
      ],
    );
    const plan = JSON.stringify(rows[0]?.['QUERY PLAN']);
    assert.match(plan, /"Node Type":"Limit"/);
    assert.doesNotMatch(plan, /"Node Type":"Sort"/, 'rows come in index order, no sort');
    const used = [...plan.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(used.length > 0, `an index scan in ${plan}`);
    const { rows: parents } = await store.pool.query<{ parent: string }>(
      `SELECT DISTINCT p.relname AS parent FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent
       WHERE c.relname = ANY($1) AND c.relnamespace = current_schema()::regnamespace`,
      [used],
    );
    assert.deepEqual(
      parents.map((p) => p.parent),
      ['audit_event_tenant_time_idx'],
    );
    assert.ok(used.some((name) => name?.startsWith(partitionName(today))));
  });
});
