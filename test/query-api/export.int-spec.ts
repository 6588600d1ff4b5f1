import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack, waitFor } from '@vigil/testing';
import { eventsOf, minutesAgo, QueryApiHarness, QueryTestStore } from './query-api-test.util';

describe('query-api export', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let key: string;
  const from = encodeURIComponent(minutesAgo(120));

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    key = await store.apiKey('tenant-a');
    await store.insert([
      ...eventsOf('tenant-a', 2500, (i) => ({
        outcome: i % 5 === 0 ? 'FAILURE' : 'SUCCESS',
        description: i === 0 ? 'quote " comma , newline \n end' : 'ok',
      })),
      ...eventsOf('tenant-b', 100),
    ]);
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  const get = (query: string) => fetch(`${api.baseUrl}/v1/events/export?${query}`, { headers: { authorization: `Bearer ${key}` } });

  it('streams NDJSON of every matching event, oldest first, across cursor batches', async () => {
    const res = await get(`format=ndjson&from=${from}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/);
    const events = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; tenantId: string; time: string });
    assert.equal(events.length, 2500);
    assert.equal(new Set(events.map((e) => e.id)).size, 2500);
    const times = events.map((e) => e.time);
    assert.deepEqual(times, [...times].sort());
  });

  it('CSV with a header and RFC 4180 quoting, with the same filters as GraphQL', async () => {
    const res = await get(`format=csv&from=${from}&outcome=FAILURE`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.startsWith('id,time,observed_time,tenant_id,category,action,outcome'));
    assert.ok(text.includes('"quote "" comma , newline \n end"'));
    const records = text.split('\r\n').filter((line) => line.length > 0);
    assert.equal(records.length, 1 + 500);
  });

  it('refuses a bad format or filter with 400 naming the field, before streaming', async () => {
    const badFormat = await get(`format=xml&from=${from}`);
    assert.equal(badFormat.status, 400);
    assert.deepEqual(((await badFormat.json()) as { error: { field: string } }).error.field, 'format');
    const noFrom = await get('format=csv');
    assert.equal(noFrom.status, 400);
    assert.equal(((await noFrom.json()) as { error: { code: string; field: string } }).error.field, 'filter.from');
  });

  it('refuses an unknown parameter (a typo of a filter) with 400 naming it and listing the known ones', async () => {
    const res = await get(`format=ndjson&from=${from}&actor=nobody&outcom=FAILURE`);
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as { error: { code: string; message: string; field: string } };
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.equal(error.field, 'actor,outcom');
    assert.match(error.message, /unknown query parameters actor, outcom/);
    assert.match(error.message, /known: .*actorId/);
  });

  it('a client that stops reading early releases the database connection', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.baseUrl}/v1/events/export?from=${from}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    // The server learns of the abandoned download when its socket closes, a moment after the abort: until then its
    // export slot is taken (429). It must come free on its own, without the client doing anything more.
    await waitFor(
      async () => {
        const probe = await get(`format=ndjson&from=${from}&outcome=FAILURE`);
        await probe.text();
        return probe.status;
      },
      (status) => status === 200,
      'the abandoned export to release its slot',
      10_000,
    );
    // The pool has DATABASE_POOL_SIZE connections; many abandoned exports must not exhaust it.
    for (let i = 0; i < 12; i++) {
      const again = await get(`format=ndjson&from=${from}&outcome=FAILURE`);
      assert.equal(again.status, 200);
      assert.equal((await again.text()).trim().split('\n').length, 500);
    }
  });
});
