import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PoolClient } from 'pg';
import { requireStack, waitFor } from '@vigil/testing';
import { EVENTS_QUERY, eventsOf, minutesAgo, QueryApiHarness, QueryTestStore, type EventsData } from './query-api-test.util';

const CONCURRENCY = 3;
const QUEUE = 4;

/** Starts an export on a raw socket, reads until the response headers arrived, then stops reading (a stalled client). */
function stalledExport(baseUrl: string, path: string, key: string): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    });
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk.toString('latin1').startsWith('HTTP/1.1 200')) resolve(socket);
      else reject(new Error(`export refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
    });
    socket.once('error', reject);
  });
}

describe('query-api fair sharing between keys', () => {
  const store = new QueryTestStore();
  const applicationName = `vigil-qa-${randomUUID().slice(0, 8)}`;
  let api: QueryApiHarness;
  let keyA: string;
  let keyB: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      DATABASE_POOL_SIZE: '10',
      QUERY_API_DB_APPLICATION_NAME: applicationName,
      QUERY_API_KEY_CONCURRENCY: String(CONCURRENCY),
      QUERY_API_KEY_QUEUE: String(QUEUE),
      QUERY_API_MAX_EXPORTS: '2',
      QUERY_API_STATEMENT_TIMEOUT_MS: '60000',
      QUERY_API_RATE_PER_SECOND: '1000',
      QUERY_API_RATE_BURST: '1000',
    }).start();
    [keyA, keyB] = await Promise.all([store.apiKey('tenant-a'), store.apiKey('tenant-b')]);
    // Enough rows that an export's body outgrows the sockets' buffers: a client that stops reading holds its export open.
    const big = eventsOf('tenant-a', 40_000, (i) => ({ description: `export filler ${i} ${'x'.repeat(400)}` }), 120);
    for (let i = 0; i < big.length; i += 10_000) await store.insert(big.slice(i, i + 10_000));
    await store.insert(eventsOf('tenant-b', 50));
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  /** API sessions waiting on a lock: database work actually running for the blocked key. */
  const lockWaiters = async (): Promise<number> =>
    (
      await store.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      )
    ).rows[0]?.n ?? -1;

  const pageOfB = () => api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(180) }, first: 20 }, keyB);

  it('a key running its maximum of aggregations, with more queued and more refused, leaves another tenant’s page query answering', async () => {
    // Hold the rollups: every top-N over 30 days (read from them) blocks until the lock goes. Page queries never read them.
    const locker: PoolClient = await store.pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE audit_event_daily, audit_event_hourly IN ACCESS EXCLUSIVE MODE');
    const topN = (alias: string) => `${alias}: topN(filter: $filter, by: ACTOR, limit: 5) { key count }`;
    const variables = { filter: { from: minutesAgo(30 * 24 * 60) } };
    let released = false;
    try {
      // 10 units of work from key A. First one operation of 5 root fields: 5 units, not 1; 3 run and 2 wait.
      const many = api.gql<Record<string, unknown>>(
        `query ($filter: EventFilter!) { ${['a', 'b', 'c', 'd', 'e'].map(topN).join(' ')} }`,
        variables,
        keyA,
      );
      await waitFor(lockWaiters, (n) => n >= CONCURRENCY, `key A's ${CONCURRENCY} running queries to block on the lock`);
      // Then 5 single-field operations: 2 more fit in key A's queue (4), the last 3 are refused at once.
      const singles = Array.from({ length: 5 }, () =>
        api.gql<Record<string, unknown>>(`query ($filter: EventFilter!) { ${topN('t')} }`, variables, keyA),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await lockWaiters(), CONCURRENCY, 'key A never runs more than its concurrency at once');

      // Tenant B is not behind key A in any queue, and the pool still has connections for it.
      const started = Date.now();
      const page = await pageOfB();
      assert.equal(page.errors, undefined, JSON.stringify(page.errors));
      assert.equal(page.data?.events.edges.length, 20);
      assert.ok(page.data?.events.edges.every((e) => e.node.tenantId === 'tenant-b'));
      const waitedMs = Date.now() - started;

      await locker.query('COMMIT');
      released = true;
      const manyResult = await many;
      assert.equal(manyResult.errors, undefined, JSON.stringify(manyResult.errors));
      assert.deepEqual(Object.keys(manyResult.data ?? {}).sort(), ['a', 'b', 'c', 'd', 'e']);
      const singleResults = await Promise.all(singles);
      const refused = singleResults.flatMap((r) => r.errors ?? []);
      assert.equal(refused.length, 10 - CONCURRENCY - QUEUE, JSON.stringify(refused));
      for (const error of refused) {
        assert.equal(error.extensions?.code, 'TOO_MANY_CONCURRENT');
        assert.match(error.message, /QUERY_API_KEY_CONCURRENCY/);
        assert.equal((error.extensions as { retryAfterSeconds?: number }).retryAfterSeconds, 1);
      }
      assert.equal(singleResults.filter((r) => r.errors === undefined && r.data?.['t'] !== undefined).length, 2);
      process.stdout.write(`# tenant B's page answered in ${waitedMs} ms while key A held its ${CONCURRENCY} slots\n`);
    } finally {
      if (!released) await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });

  it('exports (and integrity verifications) are capped per key and over all keys (EXPORTS_BUSY), release their slots when the client goes, and page queries go on', async () => {
    const path = `/v1/events/export?format=ndjson&from=${encodeURIComponent(minutesAgo(180))}`;
    const stalled = [await stalledExport(api.baseUrl, path, keyA)];
    try {
      // One export per key by default: key A's second waits for its first, whoever else exports.
      const second = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${keyA}` } });
      assert.equal(second.status, 429);
      const secondBody = (await second.json()) as { error: { code: string; message: string } };
      assert.equal(secondBody.error.code, 'TOO_MANY_CONCURRENT');
      assert.match(secondBody.error.message, /QUERY_API_MAX_EXPORTS_PER_KEY/);
      // A second key of the same tenant takes the instance's other export slot; then every export is busy.
      stalled.push(await stalledExport(api.baseUrl, path, await store.apiKey('tenant-a')));
      const busy = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${keyB}` } });
      assert.equal(busy.status, 503);
      assert.equal(busy.headers.get('retry-after'), '5');
      const body = (await busy.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'EXPORTS_BUSY');
      assert.match(body.error.message, /QUERY_API_MAX_EXPORTS/);
      // A verification reads a whole range with connections of its own: it takes an export's slot, so it is busy too.
      const verify = await api.gql(`{ verifyIntegrity(from: "${minutesAgo(180)}", to: "${minutesAgo(0)}") { ok } }`, {}, keyB);
      assert.equal(verify.errors?.[0]?.extensions?.code, 'EXPORTS_BUSY', JSON.stringify(verify));
      const page = await pageOfB();
      assert.equal(page.errors, undefined, JSON.stringify(page.errors));
    } finally {
      for (const socket of stalled) socket.destroy();
    }
    // The stalled clients are gone: their export slots come back and tenant B's export runs in full.
    const res = await waitFor(
      () => fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${keyB}` } }),
      (r) => r.status === 200,
      'an export slot to come back',
      10_000,
    );
    assert.equal((await res.text()).trim().split('\n').length, 50);
  });

  it('ends exports whose clients stopped reading but keep their connections open, so the slots come back (QUERY_API_EXPORT_STALL_MS)', async () => {
    const stallMs = 1_500;
    const strict = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      DATABASE_POOL_SIZE: '10',
      QUERY_API_MAX_EXPORTS: '2',
      QUERY_API_EXPORT_STALL_MS: String(stallMs),
      QUERY_API_RATE_PER_SECOND: '1000',
      QUERY_API_RATE_BURST: '1000',
    }).start();
    const path = `/v1/events/export?format=ndjson&from=${encodeURIComponent(minutesAgo(180))}`;
    const stalled = [
      await stalledExport(strict.baseUrl, path, keyA),
      await stalledExport(strict.baseUrl, path, await store.apiKey('tenant-a')),
    ];
    try {
      const closed = stalled.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
      const busy = await fetch(`${strict.baseUrl}${path}`, { headers: { authorization: `Bearer ${keyB}` } });
      assert.equal(busy.status, 503, 'both export slots are held by the stalled clients');
      await busy.body?.cancel();
      // Neither client reads nor leaves: the server ends both exports, closing their connections, and B's export runs.
      const res = await waitFor(
        async () => {
          const r = await fetch(`${strict.baseUrl}${path}`, { headers: { authorization: `Bearer ${keyB}` } });
          if (r.status !== 200) await r.body?.cancel();
          return r;
        },
        (r) => r.status === 200,
        'an export slot to come back from a stalled client',
        stallMs * 6,
      );
      assert.equal((await res.text()).trim().split('\n').length, 50);
      // The server closed their connections: a client that reads again gets the rest of what was sent, then the end.
      for (const socket of stalled) socket.resume();
      await Promise.all(closed);
    } finally {
      for (const socket of stalled) socket.destroy();
      await strict.stop();
    }
  });
});
