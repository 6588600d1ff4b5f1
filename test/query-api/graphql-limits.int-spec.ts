import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { requireStack } from '@vigil/testing';
import {
  codeOf,
  EVENTS_QUERY,
  eventsOf,
  minutesAgo,
  QueryApiHarness,
  QueryTestStore,
  type EventsData,
  type GqlResult,
} from './query-api-test.util';

/** `query{...F0} fragment F0 on Query{...F1 ...F1} …`: 2^levels root fields once expanded, under 2 KB of text. */
function doublingQuery(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { event(id: "x") { id } }`;
}

async function timedPost(
  url: string,
  query: string,
  credential?: string,
): Promise<{ status: number; ms: number; body: GqlResult<unknown> }> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as GqlResult<unknown>;
  return { status: res.status, ms: performance.now() - started, body };
}

describe('query-api graphql limits', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let introspective: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    introspective = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl(), QUERY_API_INTROSPECTION: 'true' }).start();
    key = await store.apiKey('tenant-a');
    await store.insert(eventsOf('tenant-a', 5));
    await timedPost(api.baseUrl, '{ __typename }', key); // warm the route, so timings measure the refusal only
  });

  after(async () => {
    await api?.stop();
    await introspective?.stop();
    await store.drop();
  });

  it('refuses a 40-level doubling fragment query without credentials in well under 100 ms, before validating it', async () => {
    const query = doublingQuery(40);
    assert.ok(query.length < 2500, `${query.length} characters`);
    const { status, ms, body } = await timedPost(api.baseUrl, query);
    assert.equal(status, 401);
    assert.equal(codeOf(body), 'UNAUTHENTICATED', JSON.stringify(body));
    assert.ok(ms < 100, `${ms} ms`);
    const malformed = await timedPost(api.baseUrl, query, 'not-a-jwt');
    assert.equal(codeOf(malformed.body), 'UNAUTHENTICATED');
    assert.ok(malformed.ms < 100, `${malformed.ms} ms`);
  });

  it('refuses it with credentials for its cost, also in well under 100 ms', async () => {
    const { ms, body } = await timedPost(api.baseUrl, doublingQuery(40), key);
    assert.equal(codeOf(body), 'BAD_USER_INPUT', JSON.stringify(body));
    assert.match(body.errors?.[0]?.message ?? '', /the query costs \d+; at most 2000/);
    assert.ok(ms < 100, `${ms} ms`);
    const health = await fetch(`${api.baseUrl}/health/live`);
    assert.equal(health.status, 200, 'the API still answers');
  });

  it('still answers a valid query', async () => {
    const result = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 3 }, key);
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    assert.equal(result.data?.events.edges.length, 3);
  });

  it('bounds the events one request reads over all its aliased events fields by QUERY_API_MAX_PAGE_SIZE, not per field', async () => {
    // 19 aliased pages of 1,000 pass the cost rule (1,900 of 2,000) and each page's own bound.
    const from = minutesAgo(120);
    const page = (alias: string, first: number) => `${alias}: events(filter: {from: "${from}"}, first: ${first}) { edges { node { id } } }`;
    const greedy = `{ ${Array.from({ length: 19 }, (_, i) => page(`p${i}`, 1000)).join(' ')} }`;
    const { body } = await timedPost(api.baseUrl, greedy, key);
    const result = body as {
      data?: Record<string, { edges: unknown[] } | null>;
      errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
    };
    // events is non-null, so a refused field nulls the whole answer: the request is refused, naming the bound.
    assert.equal(result.data ?? null, null);
    assert.ok((result.errors?.length ?? 0) >= 1);
    for (const error of result.errors ?? []) {
      assert.equal(error.extensions?.code, 'BAD_USER_INPUT');
      assert.match(error.message, /at most 1000 events over all its events fields \(QUERY_API_MAX_PAGE_SIZE\)/);
    }
    // Pages that fit together are all answered.
    const fits = await timedPost(api.baseUrl, `{ ${page('a', 600)} ${page('b', 400)} }`, key);
    assert.equal(codeOf(fits.body), undefined, JSON.stringify(fits.body.errors));
  });

  it('refuses a document past the token limit before parsing it all', async () => {
    const huge = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const { body } = await timedPost(api.baseUrl, huge, key);
    assert.equal(codeOf(body), 'GRAPHQL_PARSE_FAILED', JSON.stringify(body.errors?.[0]));
    assert.match(body.errors?.[0]?.message ?? '', /contains more tha[nt] 5000 tokens/);
  });

  it('introspection is off by default, and when on it is bounded like any query', async () => {
    const schemaQuery = '{ __schema { queryType { fields { name } } } }';
    assert.equal(codeOf(await api.gql(schemaQuery, {}, key)), 'GRAPHQL_VALIDATION_FAILED');
    assert.equal(codeOf(await introspective.gql(schemaQuery, {})), 'UNAUTHENTICATED', 'introspection needs a credential too');
    const allowed = await introspective.gql<{ __schema: { queryType: { fields: unknown[] } } }>(schemaQuery, {}, key);
    assert.equal(codeOf(allowed), undefined, JSON.stringify(allowed.errors));
    assert.ok((allowed.data?.__schema.queryType.fields.length ?? 0) > 0);
    const deep = await introspective.gql(
      '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }',
      {},
      key,
    );
    assert.equal(codeOf(deep), 'BAD_USER_INPUT');
    assert.match(deep.errors?.[0]?.message ?? '', /9 levels deep; at most 8/);
  });
});

/** One operation over graphql-ws (the live tail's transport, validated outside Apollo): its result, or the error it ended with. */
async function overWebSocket(baseUrl: string, credential: string, query: string): Promise<GqlResult<unknown>> {
  const client = createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${credential}` },
    retryAttempts: 0,
  });
  try {
    return await new Promise<GqlResult<unknown>>((resolve) => {
      let last: GqlResult<unknown> = {};
      client.subscribe(
        { query },
        {
          next: (result) => (last = result as GqlResult<unknown>),
          error: (err) => resolve({ errors: Array.isArray(err) ? (err as GqlResult<unknown>['errors']) : [{ message: String(err) }] }),
          complete: () => resolve(last),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('query-api graphql limits over graphql-ws', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack();
    await store.create();
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl(), QUERY_API_LIVE: 'true' }).start();
    key = await store.apiKey('tenant-a');
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  it('refuses introspection when it is off, and the doubling fragment query for its cost', async () => {
    const schema = await overWebSocket(api.baseUrl, key, '{ __schema { queryType { name } } }');
    assert.equal(schema.data, undefined, JSON.stringify(schema));
    assert.equal(codeOf(schema), 'GRAPHQL_VALIDATION_FAILED', JSON.stringify(schema));
    assert.match(schema.errors?.[0]?.message ?? '', /introspection/i);
    const started = performance.now();
    const doubled = await overWebSocket(api.baseUrl, key, doublingQuery(40));
    assert.equal(codeOf(doubled), 'BAD_USER_INPUT', JSON.stringify(doubled));
    assert.ok(performance.now() - started < 1000, 'refused without expanding the fragments');
  });

  it('refuses a document past QUERY_API_MAX_TOKENS with GRAPHQL_PARSE_FAILED, as an error of that subscription', async () => {
    const long = `subscription { eventAdded { ${Array.from({ length: 6000 }, () => 'id').join(' ')} } }`;
    const refused = await overWebSocket(api.baseUrl, key, long);
    assert.equal(codeOf(refused), 'GRAPHQL_PARSE_FAILED', JSON.stringify(refused));
    assert.match(refused.errors?.[0]?.message ?? '', /more that 5000 tokens/);
  });
});
