import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack } from '@vigil/testing';
import { codeOf, EVENTS_QUERY, eventsOf, minutesAgo, QueryApiHarness, QueryTestStore, type EventsData } from './query-api-test.util';

describe('query-api pagination', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    key = await store.apiKey('tenant-a');
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  async function pageThrough(
    filter: Record<string, unknown>,
    first: number,
    order: string,
    between: () => Promise<void>,
  ): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: Awaited<ReturnType<typeof api.gql<EventsData>>> = await api.gql<EventsData>(
        EVENTS_QUERY,
        { filter, first, after, order },
        key,
      );
      assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
      const page = result.data?.events;
      ids.push(...(page?.edges.map((e) => e.node.id) ?? []));
      if (!page?.pageInfo.hasNextPage) return ids;
      after = page.pageInfo.endCursor;
      await between();
    }
  }

  for (const order of ['NEWEST_FIRST', 'OLDEST_FIRST']) {
    it(`${order}: every event present at the start is returned exactly once while events keep arriving`, async () => {
      const tenant = `tenant-${order.toLowerCase()}`;
      key = await store.apiKey(tenant);
      const existing = eventsOf(tenant, 600, () => ({}), 60);
      await store.insert(existing);
      let inserted = 0;
      // Between pages, new events land at the newest end, in the middle of the range and at equal timestamps.
      const ids = await pageThrough({ from: minutesAgo(61) }, 37, order, async () => {
        const base = existing[(inserted * 7) % existing.length];
        const arrivals = [...eventsOf(tenant, 3, () => ({}), 1), ...(base ? eventsOf(tenant, 2, () => ({ time: base.time })) : [])];
        inserted += arrivals.length;
        await store.insert(arrivals);
      });
      assert.ok(inserted > 0);
      assert.equal(new Set(ids).size, ids.length, 'no event is returned twice');
      const returned = new Set(ids);
      assert.deepEqual(
        existing.filter((e) => !returned.has(e.id)).map((e) => e.id),
        [],
        'every event present at the start is returned',
      );
      const times = ids.length;
      assert.ok(times >= existing.length);
    });
  }

  it('pages are in (time, id) order and the last page says there is no next page', async () => {
    const tenant = 'tenant-order';
    key = await store.apiKey(tenant);
    const sameTime = eventsOf(tenant, 10, () => ({ time: Date.now() * 1000 - 5_000_000 }));
    await store.insert([...sameTime, ...eventsOf(tenant, 15)]);
    const result = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 1000 }, key);
    const edges = result.data?.events.edges ?? [];
    assert.equal(edges.length, 25);
    assert.equal(result.data?.events.pageInfo.hasNextPage, false);
    const keys = edges.map((e) => `${e.node.time}|${e.node.id}`);
    assert.deepEqual(keys, [...keys].sort().reverse());
    const paged = await pageThrough({ from: minutesAgo(120) }, 4, 'NEWEST_FIRST', () => Promise.resolve());
    assert.deepEqual(
      paged,
      edges.map((e) => e.node.id),
    );
  });

  it('a page of large events ends at its share of QUERY_API_MAX_PAGE_BYTES, and paging on returns every event once', async () => {
    const tenant = 'tenant-large';
    key = await store.apiKey(tenant);
    // 60 events of 300 KB each (18 MB in all), as a careless producer's diff dumps would be; `a` repeated compresses
    // to almost nothing in PostgreSQL, so a bound on stored sizes would not hold here.
    const blob = 'a'.repeat(300_000);
    const large = eventsOf(tenant, 60, (i) => ({ attributes: { diff: `${i}:${blob}` } }));
    await store.insert(large);
    const filter = { from: minutesAgo(61) };

    const res = await fetch(`${api.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: EVENTS_QUERY, variables: { filter, first: 1000 } }),
    });
    const body = await res.text();
    const page = (JSON.parse(body) as { data: EventsData }).data.events;
    // The default 16 MiB for a page of the maximum size: about 55 of the 60, never all of them, and the page says so.
    assert.ok(page.edges.length >= 40 && page.edges.length < 60, `${page.edges.length} events in the first page`);
    assert.equal(page.pageInfo.hasNextPage, true);
    assert.ok(body.length <= 16 * 1024 * 1024 + 400_000, `answer of ${body.length} bytes`);

    // A page of 10 gets a tenth of a percent of it: one event at a time, never none.
    const sizes: number[] = [];
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: Awaited<ReturnType<typeof api.gql<EventsData>>> = await api.gql<EventsData>(
        EVENTS_QUERY,
        { filter, first: 10, after },
        key,
      );
      assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
      const events = result.data?.events;
      sizes.push(events?.edges.length ?? 0);
      ids.push(...(events?.edges.map((e) => e.node.id) ?? []));
      if (!events?.pageInfo.hasNextPage) break;
      after = events.pageInfo.endCursor;
    }
    assert.deepEqual(new Set(sizes), new Set([1]));
    assert.deepEqual(
      ids,
      large.map((e) => e.id),
    );
  });
});
