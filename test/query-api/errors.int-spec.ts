import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { ApiKeyRepository } from '@vigil/store';
import { requireStack } from '@vigil/testing';
import {
  codeOf,
  EVENTS_QUERY,
  eventsOf,
  JWT_AUDIENCE,
  JWT_ISSUER,
  JWT_SECRET,
  minutesAgo,
  PEPPER,
  QueryApiHarness,
  QueryTestStore,
  testJwt as jwt,
  type EventsData,
  type GqlResult,
  rootQueries,
  ROOT_MUTATIONS,
} from './query-api-test.util';

const FROM = () => ({ from: minutesAgo(120) });

/** One request per root field; a field missing there fails the guard test, so new resolvers get checked too. */
const ROOT_FIELDS = rootQueries(new Date(Date.now() - 3600e3).toISOString(), new Date().toISOString());
const MUTATIONS = ROOT_MUTATIONS;

function assertSafe(result: GqlResult<unknown>): void {
  const text = JSON.stringify(result.errors);
  assert.doesNotMatch(text, /stacktrace|SELECT|audit_event|\bat [\w.]+ \(/i);
}

describe('query-api errors', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl(), QUERY_API_INTROSPECTION: 'true' }).start();
    key = await store.apiKey('tenant-a');
    await store.insert(eventsOf('tenant-a', 20));
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  it('every root field is guarded: UNAUTHENTICATED without a credential', async () => {
    const schema = await api.gql<{ __schema: { queryType: { fields: { name: string }[] } } }>(
      `{ __schema { queryType { fields { name } } } }`,
      {},
      key, // introspection needs a credential: requests without one are refused before validation
    );
    const fields = schema.data?.__schema.queryType.fields.map((f) => f.name).sort();
    assert.deepEqual(fields, Object.keys(ROOT_FIELDS).sort());
    for (const [name, query] of Object.entries(ROOT_FIELDS)) {
      const result = await api.gql(query, {});
      assert.equal(codeOf(result), 'UNAUTHENTICATED', `${name}: ${JSON.stringify(result)}`);
      assert.ok(
        Object.values(result.data ?? {}).every((value) => value === null),
        'no data without a credential',
      );
    }
    const mutations = await api.gql<{ __schema: { mutationType: { fields: { name: string }[] } } }>(
      `{ __schema { mutationType { fields { name } } } }`,
      {},
      key,
    );
    assert.deepEqual(mutations.data?.__schema.mutationType.fields.map((f) => f.name).sort(), Object.keys(MUTATIONS).sort());
    for (const [name, query] of Object.entries(MUTATIONS)) assert.equal(codeOf(await api.gql(query, {})), 'UNAUTHENTICATED', name);
    const exported = await fetch(`${api.baseUrl}/v1/events/export?from=${encodeURIComponent(minutesAgo(60))}`);
    assert.equal(exported.status, 401);
    assert.equal((await fetch(`${api.baseUrl}/v1/integrity/keys`)).status, 401);
    assert.equal(((await exported.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  });

  it('UNAUTHENTICATED for an unknown, malformed or revoked key and a bad JWT', async () => {
    const revoked = await new ApiKeyRepository().create(store.pool, { tenantId: 'tenant-a', role: 'analyst' }, PEPPER);
    await new ApiKeyRepository().revoke(store.pool, revoked.info.id);
    const forged = `${key.slice(0, -4)}AAAA`;
    for (const credential of [
      forged,
      revoked.key,
      'vigil_nonsense',
      await jwt({ tenant: 'tenant-a', role: 'analyst' }, 'another-secret-of-at-least-32-characters!'),
      // Never expires: refused although signed with the right key, issuer and audience.
      await new SignJWT({ tenant: 'tenant-a', role: 'analyst' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .sign(new TextEncoder().encode(JWT_SECRET)),
      // Minted for another service.
      await new SignJWT({ tenant: 'tenant-a', role: 'analyst' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(JWT_ISSUER)
        .setAudience('another-service')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET)),
    ]) {
      const result = await api.gql(EVENTS_QUERY, { filter: FROM() }, credential);
      assert.equal(codeOf(result), 'UNAUTHENTICATED', credential);
    }
    const noRole = await api.gql(EVENTS_QUERY, { filter: FROM() }, await jwt({ tenant: 'tenant-a' }));
    assert.equal(codeOf(noRole), 'UNAUTHENTICATED');
  });

  it('accepts a valid JWT with tenant and role claims', async () => {
    const result = await api.gql<EventsData>(
      EVENTS_QUERY,
      { filter: FROM(), first: 5 },
      await jwt({ tenant: 'tenant-a', role: 'analyst' }),
    );
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    assert.equal(result.data?.events.edges.length, 5);
  });

  it('FORBIDDEN for the ops role', async () => {
    const ops = await store.apiKey('tenant-a', 'ops');
    assert.equal(codeOf(await api.gql(EVENTS_QUERY, { filter: FROM() }, ops)), 'FORBIDDEN');
  });

  const badInputs: [string, Record<string, unknown>, string][] = [
    ['first above the maximum', { filter: FROM(), first: 1001 }, 'first'],
    ['a range over 31 days', { filter: { from: minutesAgo(60 * 24 * 40), to: minutesAgo(0) } }, 'filter.to'],
    ['a bad client ip', { filter: { ...FROM(), clientIp: '10.0.0.0/99' } }, 'filter.clientIp'],
    ['a bad instant', { filter: { from: 'yesterday' } }, 'filter.from'],
    ['a bad action pattern', { filter: { ...FROM(), actions: ['user.*.failed'] } }, 'filter.actions'],
    ['a one-letter text', { filter: { ...FROM(), text: 'a' } }, 'filter.text'],
    ['a text with a control character', { filter: { ...FROM(), text: 'out\u001ftag' } }, 'filter.text'],
    ['a tampered cursor', { filter: FROM(), after: 'eyJ0IjoiMSJ9.AAAA' }, 'after'],
  ];
  for (const [name, variables, field] of badInputs) {
    it(`BAD_USER_INPUT naming ${field} for ${name}`, async () => {
      const result = await api.gql(EVENTS_QUERY, variables, key);
      assert.equal(codeOf(result), 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.equal(result.errors?.[0]?.extensions?.field, field);
      assertSafe(result);
    });
  }

  it('BAD_USER_INPUT for a query costlier than allowed (aliased root fields)', async () => {
    const aliases = (n: number) =>
      Array.from({ length: n }, (_, i) => `a${i}: topN(filter: { from: "${minutesAgo(60)}" }, by: ACTOR) { key }`).join(' ');
    assert.equal(codeOf(await api.gql(`{ ${aliases(3)} }`, {}, key)), undefined);
    const costly = await api.gql(`{ ${aliases(20)} }`, {}, key);
    assert.equal(codeOf(costly), 'BAD_USER_INPUT');
    assert.match(costly.errors?.[0]?.message ?? '', /costs \d+; at most 2000/);
  });

  it('an internal failure is INTERNAL_SERVER_ERROR without SQL or stack', async () => {
    await store.pool.query('ALTER TABLE audit_event RENAME COLUMN description TO description_gone');
    try {
      const result = await api.gql(EVENTS_QUERY, { filter: { ...FROM(), text: 'login' } }, key);
      assert.equal(codeOf(result), 'INTERNAL_SERVER_ERROR');
      assert.equal(result.errors?.[0]?.message, 'internal error');
      assertSafe(result);
    } finally {
      await store.pool.query('ALTER TABLE audit_event RENAME COLUMN description_gone TO description');
    }
  });
});

describe('query-api limits', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let impatient: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_RATE_PER_SECOND: '1',
      QUERY_API_RATE_BURST: '3',
      QUERY_API_MAX_DEPTH: '4',
    }).start();
    impatient = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_STATEMENT_TIMEOUT_MS: '1',
      QUERY_API_EXPORT_TIMEOUT_MS: '1',
    }).start();
    key = await store.apiKey('tenant-a');
    await store.insert(eventsOf('tenant-a', 30_000, () => ({}), 600));
  });

  after(async () => {
    await api?.stop();
    await impatient?.stop();
    await store.drop();
  });

  it('BAD_USER_INPUT for a query deeper than allowed (fragments expanded), before anything runs', async () => {
    const from = minutesAgo(60);
    const deep = await api.gql(
      `fragment A on AuditEvent { actor { id } } { events(filter: { from: "${from}" }) { edges { node { ...A } } } }`,
      {},
      key,
    );
    assert.equal(codeOf(deep), 'BAD_USER_INPUT');
    assert.match(deep.errors?.[0]?.message ?? '', /5 levels deep; at most 4/);
  });

  it('TIMEOUT when the statement runs past the statement timeout', async () => {
    const query = `query ($filter: EventFilter!) { events(filter: $filter, first: 1000) { pageInfo { hasNextPage } } }`;
    // A two-character needle: too short for the trigram index, so the statement scans the whole range.
    const slow = await impatient.gql(query, { filter: { from: minutesAgo(700), text: 'zq' } }, key);
    assert.equal(codeOf(slow), 'TIMEOUT', JSON.stringify(slow));
    assertSafe(slow);
    const res = await fetch(`${impatient.baseUrl}/v1/events/export?from=${encodeURIComponent(minutesAgo(700))}&text=zq`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 504);
  });

  it('RATE_LIMITED past the burst, per key', async () => {
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) codes.push(codeOf(await api.gql(`{ event(id: "0190f5c2-0000-7000-8000-000000000000") { id } }`, {}, key)));
    assert.deepEqual(codes.slice(0, 2), [undefined, undefined], JSON.stringify(codes));
    assert.equal(codes.at(-1), 'RATE_LIMITED');
    const other = await store.apiKey('tenant-a');
    assert.equal(
      codeOf(await api.gql(`{ event(id: "0190f5c2-0000-7000-8000-000000000000") { id } }`, {}, other)),
      undefined,
      'each key has its own bucket',
    );
    const res = await fetch(`${api.baseUrl}/v1/events/export?from=${encodeURIComponent(minutesAgo(60))}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  });
});
