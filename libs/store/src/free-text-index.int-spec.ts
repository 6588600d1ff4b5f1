import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PoolClient } from 'pg';
import { ManualClock } from '@vigil/common';
import {
  CASE_EVENTS,
  CASE_TIME_MICROS,
  type CaseEvent,
  createScratchStore,
  FILTER_CASES,
  scopeOfCase,
  makeEvent,
  makeOrigin,
  requireStack,
  type ScratchStore,
} from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { buildEventWhere } from './event-sql.mapper';
import type { EventFilter } from './event-filter.types';
import { createFreeTextIndex, DEFAULT_PARTITION, freeTextIndexName, PartitionManager, partitionName } from './partition.manager';
import { DEFAULT_STORE_OPTIONS } from './store.config';
import { TenantScope } from './tenant-scope.types';

const HOUR_MICROS = 3_600_000_000;
const DAY_MICROS = 24 * HOUR_MICROS;

/** The free-text indexes of the client's schema (one per daily partition whose day has ended, one on the default partition in the second suite). */
async function indexNames(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '%\\_search\\_trgm\\_idx'`,
  );
  return rows.map((r) => r.name);
}

async function plan(client: PoolClient, sql: string, params: unknown[]): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** The plan and the answer of tenant `bulk`'s search for `REQ-4242` from `fromMicros` to a day after the case time, sequential scans off. */
async function searchBulk(client: PoolClient, fromMicros: number): Promise<{ text: string; ids: string[] }> {
  const filter: EventFilter = { fromMicros, toMicros: CASE_TIME_MICROS + DAY_MICROS, toGiven: true, text: 'REQ-4242' };
  const where = buildEventWhere(TenantScope.tenant('bulk'), filter);
  const sql = `SELECT id FROM audit_event WHERE ${where.sql} ORDER BY time DESC, id DESC LIMIT 100`;
  await client.query('SET enable_seqscan = off');
  try {
    const text = await plan(client, sql, where.params);
    const { rows } = await client.query<{ id: string }>(sql, where.params);
    return { text, ids: rows.map((r) => r.id) };
  } finally {
    await client.query('RESET enable_seqscan');
  }
}

const usesIndex = (text: string, names: readonly string[]): boolean =>
  names.some((name) => new RegExp(`Index Scan on ${name}\\b`).test(text));

describe("free text over the daily partitions' trigram indexes", () => {
  let store: ScratchStore;
  let client: PoolClient;
  let manager: PartitionManager;

  before(async () => {
    await requireStack(['postgres']);
    store = await createScratchStore();
    // Daily partitions around the case day, as the PartitionManager attaches them; the case day is today.
    manager = new PartitionManager(store.pool, new ManualClock(new Date(CASE_TIME_MICROS / 1000 + 3_600_000)), DEFAULT_STORE_OPTIONS);
    await manager.maintain();
    const filler = Array.from({ length: 6_000 }, (_, i) =>
      makeEvent({
        tenantId: 'bulk',
        time: CASE_TIME_MICROS - (i % 10) * DAY_MICROS + HOUR_MICROS + i,
        description: `Read invoice ${i} of customer ${i % 97}`,
        attributes: { 'request.id': `req-${i}`, 'http.route': '/invoices/:id', tags: ['billing', `shard-${i % 8}`] },
      }),
    );
    for (let i = 0; i < filler.length; i += 1_000) await store.insert(filler.slice(i, i + 1_000).map((e) => toRow(e, makeOrigin())));
    client = await store.pool.connect();
    // VACUUM as autovacuum would: it also moves GIN's pending list (fast inserts) into the index, which the planner costs.
    await client.query('VACUUM ANALYZE audit_event');
  });
  after(async () => {
    client?.release();
    await store?.close();
  });

  it("exists on every partition whose day has ended, over the description and the attributes' jsonb text with gin_trgm_ops, and not on today's", async () => {
    const today = partitionName(new Date(Math.floor(CASE_TIME_MICROS / 1000 / 86_400_000) * 86_400_000));
    const partitions = await manager.listPartitions();
    const ended = partitions.filter((p) => p.name < today).map((p) => freeTextIndexName(p.name));
    assert.ok(ended.length >= 30, 'the daily partitions before today were created');
    assert.deepEqual(
      (await indexNames(client)).sort(),
      ended.sort(),
      'one per ended day, none on today, the days ahead or the default partition',
    );
    const { rows } = await client.query<{ def: string }>(`SELECT pg_get_indexdef($1::regclass) AS def`, [ended[0]]);
    assert.match(
      rows[0]?.def ?? '',
      /USING gin \(\(\(\(COALESCE\(description, ''::text\) \|\| ' '::text\) \|\| COALESCE\(\(attributes\)::text, ''::text\)\)\) public\.gin_trgm_ops\)/,
    );
    const parent = await client.query(
      `SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'audit_event_search_trgm_idx'`,
    );
    assert.equal(parent.rowCount, 0, 'no index on the parent, which would give the day being written one');
  });

  it('builds the index of a day once it has ended, and a search of that day then uses it', async () => {
    const todayStart = Math.floor(CASE_TIME_MICROS / 1000 / 86_400_000) * 86_400_000;
    const today = partitionName(new Date(todayStart));
    const later = new PartitionManager(store.pool, new ManualClock(new Date(todayStart + 86_400_000 + 60_000)), DEFAULT_STORE_OPTIONS);
    assert.deepEqual(await later.indexEndedDays(), { built: [today], deferred: [] }, 'the day, which holds rows, once it has ended');
    assert.deepEqual(await later.indexEndedDays(), { built: [], deferred: [] }, 'nothing on a second run');
    await client.query(`ANALYZE ${today}`);
    const { text } = await searchBulk(client, CASE_TIME_MICROS - HOUR_MICROS);
    assert.ok(usesIndex(text, [freeTextIndexName(today)]), text);
  });

  it('drops an invalid index a failed build left, and builds it again', async () => {
    const yesterday = partitionName(new Date(Math.floor(CASE_TIME_MICROS / 1000 / 86_400_000) * 86_400_000 - 86_400_000));
    // An invalid index, as a cancelled CREATE INDEX CONCURRENTLY leaves one.
    await client.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = $1::regclass`, [freeTextIndexName(yesterday)]);
    const result = await manager.indexEndedDays();
    assert.deepEqual(result, { built: [yesterday], deferred: [] });
    const { rows } = await client.query<{ valid: boolean }>(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = $1::regclass`, [
      freeTextIndexName(yesterday),
    ]);
    assert.equal(rows[0]?.valid, true);
  });

  it('serves a selective text search of a tenant over ten days (EXPLAIN with enable_seqscan off)', async () => {
    const { text, ids } = await searchBulk(client, CASE_TIME_MICROS - 9 * DAY_MICROS);
    assert.ok(usesIndex(text, await indexNames(client)), text);
    assert.equal(ids.length, 1, 'req-4242 only (not req-42420, which does not exist)');
  });
});

describe('every text case of the filter table through the trigram index alone', () => {
  let store: ScratchStore;
  let client: PoolClient;
  const names = new Map(Object.entries(CASE_EVENTS).map(([name, event]) => [event.id, name as CaseEvent]));

  before(async () => {
    await requireStack(['postgres']);
    store = await createScratchStore();
    await store.insert(
      Object.values(CASE_EVENTS).map((e, i) => toRow(e, { topic: `audit.${e.category}`, partition: 0, offset: String(i) })),
    );
    client = await store.pool.connect();
    // This schema is the test's own: with every other index gone and sequential scans off, the planner has no way
    // to answer but the trigram index (built on the default partition, where these rows are, as on an ended day), so
    // the answers below are the index's (recheck included), not a scan's.
    const { rows } = await client.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_event' AND indexname <> 'audit_event_pk'`,
    );
    for (const { name } of rows) await client.query(`DROP INDEX ${name}`);
    await client.query('ALTER TABLE audit_event DROP CONSTRAINT audit_event_pk');
    await createFreeTextIndex(client, DEFAULT_PARTITION);
    await client.query('VACUUM ANALYZE audit_event');
    await client.query('SET enable_seqscan = off');
  });
  after(async () => {
    client?.release();
    await store?.close();
  });

  const textCases = FILTER_CASES.filter((c) => c.criteria.text !== undefined);
  it('the table has text cases', () => assert.ok(textCases.length >= 10));
  for (const c of textCases) {
    it(`selects what the matcher selects: ${c.name}`, async () => {
      const scope = scopeOfCase(c);
      const filter = { fromMicros: CASE_TIME_MICROS, toMicros: CASE_TIME_MICROS + 1_000_000, toGiven: true, ...c.criteria };
      const where = buildEventWhere(scope, filter);
      const sql = `SELECT id FROM audit_event WHERE ${where.sql}`;
      const text = await plan(client, sql, where.params);
      assert.ok(usesIndex(text, await indexNames(client)), text);
      const { rows } = await client.query<{ id: string }>(sql, where.params);
      assert.deepEqual(rows.map((r) => names.get(r.id)).sort(), [...c.matches].sort());
    });
  }
});
