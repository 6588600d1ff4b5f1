import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeEvent, requireStack, SchemaStore } from '@vigil/testing';
import { backfillRollups } from './audit-event-rollup.util';
import { RollupFolder } from './rollup-fold.scheduler';
import { AuditEventRepository } from './audit-event.repository';
import { BatchMaterializer, type EventWithOrigin } from './batch-materializer.service';

describe(`${BatchMaterializer.name}.storeAll (several partitions' batches in one transaction)`, () => {
  const store = new SchemaStore('group_commit');
  const repository = new AuditEventRepository();
  /** Rows that went the staging path (`insertBatchByPartition`), which a batch takes only after its COPY met a stored row. */
  let staged = 0;
  const stagingPath = repository.insertBatchByPartition.bind(repository);
  repository.insertBatchByPartition = (db, rows) => {
    staged += rows.length;
    return stagingPath(db, rows);
  };
  const materializer = new BatchMaterializer(repository, () => true);
  const batchOf = (tenant: string, partition: number, count: number, from = 100): EventWithOrigin[] =>
    Array.from({ length: count }, (_, i) => ({
      event: makeEvent({ tenantId: tenant }),
      origin: { topic: 'audit.authentication', partition, offset: String(from + i) },
    }));

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
  });
  after(() => store.drop());

  it('tells each batch what it stored, chains each tenant from its own partition, and stores nothing twice', async () => {
    const p0 = batchOf('gc-tenant-0', 0, 3);
    const p1 = batchOf('gc-tenant-1', 1, 2);
    // An event a producer's retry published twice: the second copy is a duplicate of p1's batch alone.
    const again = p1[0] as EventWithOrigin;
    p1.push({ event: again.event, origin: { ...again.origin, offset: '102' } });

    const results = await materializer.storeAll(store.pool, [p0, p1]);
    assert.deepEqual(
      results.map((r) => [r.stored, r.duplicates]),
      [
        [3, 0],
        [2, 1],
      ],
    );

    const heads = await store.pool.query<{ tenant_id: string; seq: string; kafka_partition: number; kafka_offset: string }>(
      `SELECT tenant_id, seq, kafka_partition, kafka_offset FROM audit_chain_head WHERE tenant_id LIKE 'gc-tenant-%' ORDER BY tenant_id`,
    );
    assert.deepEqual(
      heads.rows.map((h) => [h.tenant_id, Number(h.seq), h.kafka_partition, h.kafka_offset]),
      [
        ['gc-tenant-0', 3, 0, '102'],
        // The duplicate at offset 102 takes no place in the chain: the head stays at the last event stored.
        ['gc-tenant-1', 2, 1, '101'],
      ],
    );
    const seqs = await store.pool.query<{ tenant_id: string; seqs: string[] }>(
      `SELECT tenant_id, array_agg(chain_seq::text ORDER BY chain_seq) AS seqs FROM audit_event
        WHERE tenant_id LIKE 'gc-tenant-%' GROUP BY tenant_id ORDER BY tenant_id`,
    );
    assert.deepEqual(
      seqs.rows.map((r) => r.seqs),
      [
        ['1', '2', '3'],
        ['1', '2'],
      ],
    );

    // Redelivered together (a crash before the Kafka commit): nothing stored again, every event a duplicate.
    const redelivered = await materializer.storeAll(store.pool, [p0, p1]);
    assert.deepEqual(
      redelivered.map((r) => [r.stored, r.duplicates]),
      [
        [0, 3],
        [0, 3],
      ],
    );
    const rows = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event WHERE tenant_id LIKE 'gc-tenant-%'`);
    assert.equal(rows.rows[0]?.n, '5');
  });

  it('keeps the rollups exactly as a recount of the stored events, on the fast path and after a redelivery', async () => {
    const hour = 3_600_000_000;
    const base = Math.floor(Date.now() / 3_600_000) * hour - 2 * hour;
    const ips = ['203.0.113.7', '2001:DB8::1', '::ffff:18.171.51.239', 'not-an-ip', null, '2001:db8:0:0::1'];
    const events = Array.from({ length: 60 }, (_, i) =>
      makeEvent({
        tenantId: `gc-roll-${i % 2}`,
        // Three UTC hours, the last event of one hour and the first of the next side by side.
        time: base + Math.floor(i / 20) * hour + (i % 20 === 0 ? 0 : hour - 1 - (i % 20)),
        outcome: i % 3 === 0 ? 'FAILURE' : 'SUCCESS',
        actor: { id: `roll-user-${i % 4}`, name: null, type: 'USER', roles: [] },
        client: { ip: ips[i % ips.length] ?? null, userAgent: null },
      }),
    );
    const batches = [0, 1].map((p) =>
      events
        .filter((e) => e.tenantId === `gc-roll-${p}`)
        .map((event, i) => ({ event, origin: { topic: 'audit.authentication', partition: 10 + p, offset: String(i) } })),
    );
    const first = batches.map((b) => b.slice(0, 20));
    staged = 0;
    assert.deepEqual(
      (await materializer.storeAll(store.pool, first)).map((r) => r.stored),
      [20, 20],
    );
    assert.equal(staged, 0, 'the fast path');
    // Published again by a producer's retry (new offsets, so the chain heads' offsets cannot drop them), with what
    // follows: the COPY meets stored rows, and the batches take the path that skips them.
    const again = batches.map((b) => b.map((item, i) => ({ ...item, origin: { ...item.origin, offset: String(20 + i) } })));
    assert.deepEqual(
      (await materializer.storeAll(store.pool, again)).map((r) => [r.stored, r.duplicates]),
      [
        [10, 20],
        [10, 20],
      ],
    );
    assert.equal(staged, 20, 'the staging path, with the ten new rows of each batch');

    const snapshot = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const table of ['audit_event_hourly', 'audit_event_daily']) {
        const { rows } = await store.pool.query<{ line: string }>(
          `SELECT concat_ws(' ', tenant_id, ${table === 'audit_event_hourly' ? 'hour' : 'day'}, dimension, value, events, failures) AS line
             FROM ${table} WHERE tenant_id LIKE 'gc-roll-%' ORDER BY 1`,
        );
        out.push(...rows.map((r) => `${table} ${r.line}`));
      }
      return out;
    };
    // The counts the batches appended, folded into the rollups, equal the rollups recounted from the events.
    await new RollupFolder(store.pool).fold();
    const maintained = await snapshot();
    await backfillRollups(store.pool);
    const recounted = await snapshot();
    assert.ok(
      recounted.some((l) => l.includes('client_ip 2001:db8::1 ')),
      'IPv6 spelled as host() spells it',
    );
    assert.ok(recounted.some((l) => l.includes('client_ip ::ffff:18.171.51.239 ')));
    assert.deepEqual(maintained, recounted);
  });

  it('refuses two batches of one partition in one transaction, since their figures could not be told apart', async () => {
    await assert.rejects(
      materializer.storeAll(store.pool, [batchOf('gc-tenant-2', 0, 1, 200), batchOf('gc-tenant-2', 0, 1, 201)]),
      /two batches of partition audit\.authentication:0/,
    );
  });
});
