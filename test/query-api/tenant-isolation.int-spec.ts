import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack } from '@vigil/testing';
import {
  codeOf,
  EVENTS_QUERY,
  eventsOf,
  minutesAgo,
  QueryApiHarness,
  QueryTestStore,
  testJwt,
  type EventsData,
} from './query-api-test.util';

/** Both tenants' events share every value a filter can name, so only the tenant predicate tells them apart. */
const shared = (i: number) => ({
  action: i % 2 === 0 ? 'user.login.failed' : 'user.login.succeeded',
  outcome: i % 2 === 0 ? ('FAILURE' as const) : ('SUCCESS' as const),
  correlationId: 'corr-shared',
  traceId: 'trace-shared',
  description: `shared description ${i}`,
});

const FILTERS: Record<string, Record<string, unknown>> = {
  none: {},
  categories: { categories: ['authentication'] },
  exactAction: { actions: ['user.login.failed'] },
  prefixAction: { actions: ['user.login.*'] },
  outcome: { outcome: 'FAILURE' },
  actorId: { actorId: '6006b9469145130011ec8497' },
  actorName: { actorName: 'ada.lovelace@example.com' },
  target: { targetType: 'user', targetId: '6006b9469145130011ec8497' },
  clientIp: { clientIp: '18.171.51.239' },
  cidr: { clientIp: '18.171.0.0/16' },
  service: { service: 'auth-service' },
  correlationId: { correlationId: 'corr-shared' },
  traceId: { traceId: 'trace-shared' },
  text: { text: 'shared' },
  attributeText: { text: 'web' },
};

describe('query-api tenant isolation', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let keyA: string;
  let keyB: string;
  let adminA: string;
  const events = { a: eventsOf('tenant-a', 30, shared), b: eventsOf('tenant-b', 30, shared) };

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    [keyA, keyB, adminA] = await Promise.all([store.apiKey('tenant-a'), store.apiKey('tenant-b'), store.apiKey('tenant-a', 'admin')]);
    await store.insert([...events.a, ...events.b]);
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  for (const [name, filter] of Object.entries(FILTERS)) {
    it(`events with filter "${name}" return only the caller’s tenant’s events`, async () => {
      const result = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120), ...filter }, first: 1000 }, keyA);
      assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
      const edges = result.data?.events.edges ?? [];
      assert.ok(edges.length > 0, 'the filter matches some of tenant A’s events');
      assert.deepEqual([...new Set(edges.map((e) => e.node.tenantId))], ['tenant-a']);
    });
  }

  it('event(id) of another tenant’s event is null', async () => {
    const idB = events.b[0]?.id ?? '';
    const query = `query ($id: ID!) { event(id: $id) { id tenantId } }`;
    const asA = await api.gql<{ event: unknown }>(query, { id: idB }, keyA);
    assert.equal(asA.data?.event, null);
    const asB = await api.gql<{ event: { tenantId: string } }>(query, { id: idB }, keyB);
    assert.equal(asB.data?.event.tenantId, 'tenant-b');
  });

  it('a cursor issued to tenant A is refused for tenant B, and for another filter', async () => {
    const filter = { from: minutesAgo(120), to: minutesAgo(0) };
    const first = await api.gql<EventsData>(EVENTS_QUERY, { filter, first: 5 }, keyA);
    const cursor = first.data?.events.pageInfo.endCursor;
    assert.ok(cursor);
    const asB = await api.gql<EventsData>(EVENTS_QUERY, { filter, first: 5, after: cursor }, keyB);
    assert.equal(codeOf(asB), 'BAD_USER_INPUT');
    assert.equal(asB.errors?.[0]?.extensions?.field, 'after');
    const otherFilter = await api.gql<EventsData>(
      EVENTS_QUERY,
      { filter: { ...filter, outcome: 'SUCCESS' }, first: 5, after: cursor },
      keyA,
    );
    assert.equal(codeOf(otherFilter), 'BAD_USER_INPUT');
  });

  it('aggregations count only the caller’s tenant', async () => {
    const query = `query ($filter: EventFilter!) {
      eventCounts(filter: $filter, bucket: DAY, groupBy: OUTCOME) { counts { key count } truncated }
      topN(filter: $filter, by: ACTOR, limit: 5) { key count }
    }`;
    const result = await api.gql<{ eventCounts: { counts: { key: string; count: number }[] }; topN: { key: string; count: number }[] }>(
      query,
      { filter: { from: minutesAgo(120) } },
      keyA,
    );
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    const total = (result.data?.eventCounts.counts ?? []).reduce((sum, c) => sum + c.count, 0);
    assert.equal(total, 30);
    assert.deepEqual(result.data?.topN, [{ key: '6006b9469145130011ec8497', count: 30 }]);
  });

  it('the export holds only the caller’s tenant’s events', async () => {
    const res = await fetch(`${api.baseUrl}/v1/events/export?format=ndjson&from=${encodeURIComponent(minutesAgo(120))}`, {
      headers: { authorization: `Bearer ${keyA}` },
    });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n');
    assert.equal(lines.length, 30);
    assert.ok(lines.every((line) => (JSON.parse(line) as { tenantId: string }).tenantId === 'tenant-a'));
  });

  it('only a platform admin who asks sees every tenant; a tenant admin or an analyst who asks is FORBIDDEN', async () => {
    const filter = { from: minutesAgo(120), allTenants: true };
    const platform = await testJwt({ tenant: 'tenant-a', role: 'platform-admin' });
    const all = await api.gql<EventsData>(EVENTS_QUERY, { filter, first: 1000 }, platform);
    assert.deepEqual([...new Set(all.data?.events.edges.map((e) => e.node.tenantId))].sort(), ['tenant-a', 'tenant-b']);
    const platformDefault = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 1000 }, platform);
    assert.deepEqual([...new Set(platformDefault.data?.events.edges.map((e) => e.node.tenantId))], ['tenant-a']);
    const admin = await api.gql<EventsData>(EVENTS_QUERY, { filter, first: 10 }, adminA);
    assert.equal(codeOf(admin), 'FORBIDDEN', 'a tenant admin reads its own tenant only');
    const adminDefault = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 1000 }, adminA);
    assert.deepEqual([...new Set(adminDefault.data?.events.edges.map((e) => e.node.tenantId))], ['tenant-a']);
    const analyst = await api.gql<EventsData>(EVENTS_QUERY, { filter, first: 10 }, keyA);
    assert.equal(codeOf(analyst), 'FORBIDDEN');
    const exported = await fetch(`${api.baseUrl}/v1/events/export?allTenants=true&from=${encodeURIComponent(minutesAgo(120))}`, {
      headers: { 'x-api-key': keyA },
    });
    assert.equal(exported.status, 403);
  });

  it('a platform-admin API key reads every tenant when it asks, and its own tenant otherwise', async () => {
    const platformKey = await store.apiKey('tenant-a', 'platform-admin');
    const all = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120), allTenants: true }, first: 1000 }, platformKey);
    assert.equal(codeOf(all), undefined, JSON.stringify(all.errors));
    assert.deepEqual([...new Set(all.data?.events.edges.map((e) => e.node.tenantId))].sort(), ['tenant-a', 'tenant-b']);
    const own = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 1000 }, platformKey);
    assert.deepEqual([...new Set(own.data?.events.edges.map((e) => e.node.tenantId))], ['tenant-a']);
    const exported = await fetch(`${api.baseUrl}/v1/events/export?allTenants=true&from=${encodeURIComponent(minutesAgo(120))}`, {
      headers: { 'x-api-key': platformKey },
    });
    assert.equal(exported.status, 200);
    const tenants = new Set(
      (await exported.text())
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { tenantId: string }).tenantId),
    );
    assert.deepEqual([...tenants].sort(), ['tenant-a', 'tenant-b']);
  });
});
