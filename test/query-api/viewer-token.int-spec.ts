import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import type { AuditEvent } from '@vigil/events';
import { requireStack, uniqueName, waitFor } from '@vigil/testing';
import {
  codeOf,
  EVENTS_QUERY,
  eventsOf,
  JWT_AUDIENCE,
  JWT_ISSUER,
  JWT_SECRET,
  livePublisher,
  minutesAgo,
  QueryApiHarness,
  QueryTestStore,
  rootQueries,
  ROOT_MUTATIONS,
  subscribeLive,
  testJwt,
  type EventsData,
  type GqlResult,
} from './query-api-test.util';
import { runCli } from '../replay/replay-test.util';

const VIEWER_SECRET = 'viewer-token-int-spec-secret-0123456789abcdef';
/** The previous secret, still listed for verification (rotation): tokens it signed keep working. */
const OLD_VIEWER_SECRET = 'viewer-token-int-spec-old-secret-0123456789';
const TYP = 'vigil-viewer+jwt';

const MINT = `mutation ($input: CreateViewerTokenInput!) { createViewerToken(input: $input) { token expiresAt tenantId } }`;
const ME = `{ me { tenantId role credential expiresAt actorId targetType targetId } }`;

interface Minted {
  createViewerToken: { token: string; expiresAt: string; tenantId: string };
}
interface MeData {
  me: {
    tenantId: string;
    role: string;
    credential: string;
    expiresAt: string | null;
    actorId: string | null;
    targetType: string | null;
    targetId: string | null;
  };
}
interface Node {
  id: string;
  tenantId: string;
  actor: { id: string };
  targets: { type: string; id: string }[];
}

const ACTORS = ['alice', 'bob', 'carol'] as const;
const DOCS = ['doc-1', 'doc-2'] as const;

/** 30 events of a tenant: actors alice, bob, carol in turn, targets document doc-1, doc-2 in turn (so 10 per actor, 15 per doc). */
function tenantEvents(tenantId: string): AuditEvent[] {
  return eventsOf(tenantId, 30, (i) => ({
    actor: { id: ACTORS[i % 3] ?? 'alice', name: null, type: 'USER', roles: [] },
    targets: [{ type: 'document', id: DOCS[i % 2] ?? 'doc-1', name: null }],
  }));
}

/** A viewer token signed directly (as an attacker or a bug could), every claim and header part overridable. */
function signViewer(
  claims: JWTPayload,
  options: { secret?: string; typ?: string | null; expSeconds?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'tenant-a', tenant: 'tenant-a', jti: `forged-${now}`, ...claims })
    .setProtectedHeader(options.typ === null ? { alg: 'HS256' } : { alg: 'HS256', typ: options.typ ?? TYP })
    .setIssuer(options.issuer ?? 'vigil-query-api')
    .setAudience(options.audience ?? 'vigil-console')
    .setIssuedAt(now - 120)
    .setExpirationTime(now + (options.expSeconds ?? 600))
    .sign(new TextEncoder().encode(options.secret ?? VIEWER_SECRET));
}

const EVENT_NODE_QUERY = `query Events($filter: EventFilter!, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id tenantId actor { id } targets { type id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
interface NodesData {
  events: { edges: { cursor: string; node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** An ISO instant on a whole UTC hour, `hours` from the current hour (negative: earlier). */
function wholeHour(hours: number): string {
  const now = new Date();
  now.setUTCMinutes(0, 0, 0);
  return new Date(now.getTime() + hours * 3600e3).toISOString();
}

describe('query-api viewer tokens', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let adminA: string;
  let analystA: string;
  let platform: string;
  const events = { a: tenantEvents('tenant-a'), b: tenantEvents('tenant-b') };
  const eventOf = (tenant: 'a' | 'b', actor: string, doc?: string): AuditEvent => {
    const found = events[tenant].find((e) => e.actor.id === actor && (doc === undefined || e.targets.some((t) => t.id === doc)));
    assert.ok(found, `an event of ${actor} ${doc ?? ''} in tenant ${tenant}`);
    return found;
  };

  async function mint(credential: string, input: Record<string, unknown> = {}): Promise<string> {
    const result = await api.gql<Minted>(MINT, { input }, credential);
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    const token = result.data?.createViewerToken.token;
    assert.ok(token);
    return token;
  }

  async function nodes(credential: string, filter: Record<string, unknown> = {}): Promise<Node[]> {
    const result = await api.gql<NodesData>(EVENT_NODE_QUERY, { filter: { from: minutesAgo(120), ...filter }, first: 1000 }, credential);
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    return result.data?.events.edges.map((e) => e.node) ?? [];
  }

  async function exported(credential: string, query = ''): Promise<{ status: number; rows: Node[] }> {
    const res = await fetch(`${api.baseUrl}/v1/events/export?format=ndjson&from=${encodeURIComponent(minutesAgo(120))}${query}`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status, rows: [] };
    return {
      status: res.status,
      rows: text
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Node),
    };
  }

  const AGGREGATES = `query ($filter: EventFilter!) {
    eventCounts(filter: $filter, bucket: HOUR) { counts { count } }
    topN(filter: $filter, by: ACTOR, limit: 10) { key count }
  }`;
  interface Aggregates {
    eventCounts: { counts: { count: number }[] };
    topN: { key: string; count: number }[];
  }
  async function aggregates(credential: string, filter: Record<string, unknown>): Promise<{ total: number; top: Aggregates['topN'] }> {
    const result = await api.gql<Aggregates>(AGGREGATES, { filter }, credential);
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    return {
      total: (result.data?.eventCounts.counts ?? []).reduce((sum, c) => sum + c.count, 0),
      top: result.data?.topN ?? [],
    };
  }
  /** A range of whole UTC hours: without other criteria, topN reads the rollups for it (rollupRange). */
  const ROLLUP_RANGE = () => ({ from: wholeHour(-3), to: wholeHour(1) });
  /** A short range that is not whole hours: topN reads audit_event. */
  const EVENTS_RANGE = () => ({ from: minutesAgo(90) });

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_INTROSPECTION: 'true',
      QUERY_API_VIEWER_TOKEN_SECRET: `${VIEWER_SECRET},${OLD_VIEWER_SECRET}`,
      QUERY_API_RATE_BURST: '1000',
      QUERY_API_RATE_PER_SECOND: '1000',
    }).start();
    [adminA, analystA, platform] = await Promise.all([
      store.apiKey('tenant-a', 'admin'),
      store.apiKey('tenant-a', 'analyst'),
      store.apiKey('tenant-ops', 'platform-admin'),
    ]);
    await store.insert([...events.a, ...events.b]);
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  it('an admin mints for its own tenant; the token reads that tenant’s events and says who it is', async () => {
    const before = Date.now();
    const result = await api.gql<Minted>(MINT, { input: {} }, adminA);
    assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
    const minted = result.data?.createViewerToken;
    assert.equal(minted?.tenantId, 'tenant-a');
    const expiresIn = new Date(minted?.expiresAt ?? 0).getTime() - before;
    assert.ok(expiresIn > 890_000 && expiresIn <= 901_000, `default 900 s, got ${expiresIn} ms`);
    const token = minted?.token ?? '';
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { typ?: string; alg?: string };
    assert.deepEqual(header, { alg: 'HS256', typ: TYP });
    const read = await nodes(token);
    assert.equal(read.length, 30);
    assert.deepEqual([...new Set(read.map((n) => n.tenantId))], ['tenant-a']);
    const me = await api.gql<MeData>(ME, {}, token);
    assert.equal(me.data?.me.role, 'viewer');
    assert.equal(me.data?.me.credential, 'VIEWER_TOKEN');
    assert.equal(me.data?.me.tenantId, 'tenant-a');
    assert.equal(me.data?.me.expiresAt, minted?.expiresAt);
    assert.equal(me.data?.me.actorId, null);
    // An explicit own tenant and a lifetime are accepted too.
    const explicit = await api.gql<Minted>(MINT, { input: { tenantId: 'tenant-a', ttlSeconds: 60 } }, adminA);
    assert.equal(codeOf(explicit), undefined, JSON.stringify(explicit.errors));
  });

  it('an admin minting for another tenant, an analyst, and a viewer token are FORBIDDEN; platform-admin mints for any tenant', async () => {
    const other = await api.gql<Minted>(MINT, { input: { tenantId: 'tenant-b' } }, adminA);
    assert.equal(codeOf(other), 'FORBIDDEN');
    assert.equal(other.data, null);
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: {} }, analystA)), 'FORBIDDEN');
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: {} }, await testJwt({ tenant: 'tenant-a', role: 'analyst' }))), 'FORBIDDEN');
    const viewer = await mint(adminA);
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: {} }, viewer)), 'FORBIDDEN', 'a viewer token never mints');
    const forB = await mint(platform, { tenantId: 'tenant-b', ttlSeconds: 120 });
    const read = await nodes(forB);
    assert.equal(read.length, 30);
    assert.deepEqual([...new Set(read.map((n) => n.tenantId))], ['tenant-b']);
    // A platform admin's JWT may mint as well; a tenant admin's JWT only for its tenant.
    const platformJwt = await testJwt({ tenant: 'tenant-ops', role: 'platform-admin' });
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: { tenantId: 'tenant-b' } }, platformJwt)), undefined);
    const adminJwt = await testJwt({ tenant: 'tenant-a', role: 'admin' });
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: { tenantId: 'tenant-b' } }, adminJwt)), 'FORBIDDEN');
  });

  it('refuses out-of-bounds input with BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ttlSeconds: 59 }, 'input.ttlSeconds'],
      [{ ttlSeconds: 3601 }, 'input.ttlSeconds'],
      [{ actorId: 'x'.repeat(257) }, 'input.actorId'],
      [{ actorId: 'ali\u0000ce' }, 'input.actorId'],
      [{ actorId: '' }, 'input.actorId'],
      [{ tenantId: 'tenant\u007fa' }, 'input.tenantId'],
      [{ targetType: 'document' }, 'input.targetId'],
      [{ targetId: 'doc-1' }, 'input.targetType'],
      [{ targetType: 'document', targetId: 'd'.repeat(257) }, 'input.targetId'],
    ];
    for (const [input, field] of cases) {
      const result = await api.gql<Minted>(MINT, { input }, adminA);
      assert.equal(codeOf(result), 'BAD_USER_INPUT', JSON.stringify(input));
      assert.equal(result.errors?.[0]?.extensions?.field, field, JSON.stringify(input));
    }
    assert.equal(codeOf(await api.gql<Minted>(MINT, { input: { actorId: 'x'.repeat(256), ttlSeconds: 3600 } }, adminA)), undefined);
  });

  it('a tenant’s token never reads another tenant: events, event(id), eventCounts, topN (both paths), export, allTenants', async () => {
    const token = await mint(adminA);
    for (const filter of [{}, { actorId: 'alice' }, { targetType: 'document', targetId: 'doc-1' }, { text: 'incorrect' }]) {
      const read = await nodes(token, filter);
      assert.ok(read.length > 0, JSON.stringify(filter));
      assert.deepEqual([...new Set(read.map((n) => n.tenantId))], ['tenant-a'], JSON.stringify(filter));
    }
    const byId = `query ($id: ID!) { event(id: $id) { id tenantId } }`;
    const idB = events.b[0]?.id ?? '';
    assert.equal((await api.gql<{ event: unknown }>(byId, { id: idB }, token)).data?.event, null);
    assert.equal((await api.gql<{ event: { tenantId: string } }>(byId, { id: events.a[0]?.id }, token)).data?.event.tenantId, 'tenant-a');
    for (const range of [EVENTS_RANGE(), ROLLUP_RANGE()]) {
      const asViewer = await aggregates(token, range);
      assert.equal(asViewer.total, 30, JSON.stringify(range));
      assert.deepEqual(asViewer.top, await aggregates(adminA, range).then((a) => a.top), JSON.stringify(range));
      assert.deepEqual(
        asViewer.top.map((t) => t.count).reduce((a, b) => a + b, 0),
        30,
        JSON.stringify(asViewer.top),
      );
    }
    const exportedRows = await exported(token);
    assert.equal(exportedRows.status, 200);
    assert.equal(exportedRows.rows.length, 30);
    assert.deepEqual([...new Set(exportedRows.rows.map((n) => n.tenantId))], ['tenant-a']);
    const all = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120), allTenants: true } }, token);
    assert.equal(codeOf(all), 'FORBIDDEN');
    const allById = await api.gql(`query ($id: ID!) { event(id: $id, allTenants: true) { id } }`, { id: idB }, token);
    assert.equal(codeOf(allById), 'FORBIDDEN');
    for (const field of ['eventCounts(filter: $filter, bucket: HOUR) { truncated }', 'topN(filter: $filter, by: ACTOR) { key }']) {
      const result = await api.gql(
        `query ($filter: EventFilter!) { ${field} }`,
        { filter: { ...EVENTS_RANGE(), allTenants: true } },
        token,
      );
      assert.equal(codeOf(result), 'FORBIDDEN', field);
    }
    assert.equal((await exported(token, '&allTenants=true')).status, 403);
  });

  it('an actor-restricted token sees only that actor’s events of its tenant, everywhere', async () => {
    const token = await mint(adminA, { actorId: 'alice' });
    const me = await api.gql<MeData>(ME, {}, token);
    assert.equal(me.data?.me.actorId, 'alice');
    assert.equal(me.data?.me.targetType, null);
    const read = await nodes(token);
    assert.equal(read.length, 10);
    assert.ok(
      read.every((n) => n.tenantId === 'tenant-a' && n.actor.id === 'alice'),
      JSON.stringify(read),
    );
    // Its filter narrows further: the same actor changes nothing, another yields nothing.
    assert.equal((await nodes(token, { actorId: 'alice' })).length, 10);
    assert.equal((await nodes(token, { actorId: 'bob' })).length, 0);
    assert.equal((await nodes(token, { targetType: 'document', targetId: 'doc-1' })).length, 5);
    const byId = `query ($id: ID!) { event(id: $id) { id actor { id } } }`;
    assert.equal((await api.gql<{ event: unknown }>(byId, { id: eventOf('a', 'bob').id }, token)).data?.event, null);
    assert.equal((await api.gql<{ event: unknown }>(byId, { id: eventOf('b', 'alice').id }, token)).data?.event, null);
    assert.equal(
      (await api.gql<{ event: { actor: { id: string } } }>(byId, { id: eventOf('a', 'alice').id }, token)).data?.event.actor.id,
      'alice',
    );
    for (const range of [EVENTS_RANGE(), ROLLUP_RANGE()]) {
      const { total, top } = await aggregates(token, range);
      assert.equal(total, 10, JSON.stringify(range));
      // Over the whole-hour range the rollups would answer every actor: a restricted scope must read audit_event.
      assert.deepEqual(top, [{ key: 'alice', count: 10 }], JSON.stringify(range));
    }
    const rows = (await exported(token)).rows;
    assert.equal(rows.length, 10);
    assert.ok(rows.every((n) => n.tenantId === 'tenant-a' && n.actor.id === 'alice'));
    assert.equal((await exported(token, '&actorId=bob')).rows.length, 0);
  });

  it('a restricted token gets no chain places, which would count other actors’ events between its own', async () => {
    // Give tenant A's rows chain places, as the materializer does.
    await store.pool.query(
      `UPDATE audit_event e SET chain_seq = n.seq, chain_hash = decode(repeat('ab', 32), 'hex')
         FROM (SELECT id, time, row_number() OVER (ORDER BY time, id) AS seq FROM audit_event WHERE tenant_id = 'tenant-a') n
        WHERE e.id = n.id AND e.time = n.time`,
    );
    try {
      const query = `query ($filter: EventFilter!) { events(filter: $filter, first: 100) { edges { node { id chain { seq } } } } }`;
      type Chained = { events: { edges: { node: { id: string; chain: { seq: number } | null } }[] } };
      const seen = async (credential: string) =>
        (await api.gql<Chained>(query, { filter: { from: minutesAgo(120) } }, credential)).data?.events.edges.map((e) => e.node.chain) ??
        [];
      const analyst = await seen(analystA);
      assert.ok(analyst.length > 0 && analyst.every((c) => c !== null && c.seq > 0), 'an analyst sees the places');
      const viewer = await mint(adminA, { actorId: 'alice' });
      const restricted = await seen(viewer);
      assert.ok(restricted.length > 0);
      assert.deepEqual(new Set(restricted), new Set([null]));
      const byId = await api.gql<{ event: { chain: unknown } | null }>(
        `query ($id: ID!) { event(id: $id) { chain { seq } } }`,
        { id: eventOf('a', 'alice').id },
        viewer,
      );
      assert.equal(byId.data?.event?.chain, null);
      const rows = (await exported(viewer)).rows as unknown as Record<string, unknown>[];
      assert.ok(rows.length > 0 && rows.every((r) => !('chain' in r)), 'the export has no chain places either');
      const analystRows = (await exported(analystA)).rows as unknown as Record<string, unknown>[];
      assert.ok(analystRows.some((r) => 'chain' in r));
    } finally {
      await store.pool.query(`UPDATE audit_event SET chain_seq = NULL, chain_hash = NULL WHERE tenant_id = 'tenant-a'`);
    }
  });

  it('a target-restricted token sees only that target’s events of its tenant, everywhere', async () => {
    const token = await mint(platform, { tenantId: 'tenant-a', targetType: 'document', targetId: 'doc-1' });
    const me = await api.gql<MeData>(ME, {}, token);
    assert.deepEqual(
      { type: me.data?.me.targetType, id: me.data?.me.targetId, actor: me.data?.me.actorId },
      { type: 'document', id: 'doc-1', actor: null },
    );
    const read = await nodes(token);
    assert.equal(read.length, 15);
    assert.ok(read.every((n) => n.tenantId === 'tenant-a' && n.targets.some((t) => t.type === 'document' && t.id === 'doc-1')));
    assert.equal((await nodes(token, { targetId: 'doc-2' })).length, 0);
    const byId = `query ($id: ID!) { event(id: $id) { id } }`;
    assert.equal((await api.gql<{ event: unknown }>(byId, { id: eventOf('a', 'alice', 'doc-2').id }, token)).data?.event, null);
    assert.equal((await api.gql<{ event: unknown }>(byId, { id: eventOf('b', 'alice', 'doc-1').id }, token)).data?.event, null);
    assert.ok((await api.gql<{ event: unknown }>(byId, { id: eventOf('a', 'alice', 'doc-1').id }, token)).data?.event);
    for (const range of [EVENTS_RANGE(), ROLLUP_RANGE()]) {
      const { total, top } = await aggregates(token, range);
      assert.equal(total, 15, JSON.stringify(range));
      assert.deepEqual(
        top.map((t) => t.count).reduce((a, b) => a + b, 0),
        15,
        JSON.stringify(top),
      );
    }
    const rows = (await exported(token)).rows;
    assert.equal(rows.length, 15);
    assert.ok(rows.every((n) => n.tenantId === 'tenant-a' && n.targets.some((t) => t.id === 'doc-1')));
    // Both at once: alice's events on doc-1.
    const both = await mint(adminA, { actorId: 'alice', targetType: 'document', targetId: 'doc-1' });
    const bothRead = await nodes(both);
    assert.equal(bothRead.length, 5);
    assert.ok(bothRead.every((n) => n.actor.id === 'alice' && n.targets.some((t) => t.id === 'doc-1')));
  });

  it('a tampered, foreign-signed, untyped or expired token is UNAUTHENTICATED; one signed by the previous secret still works', async () => {
    const genuine = await mint(adminA, { actorId: 'alice' });
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as JWTPayload;
    const edit = (changes: JWTPayload) =>
      `${header}.${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${signature}`;
    const { act: _act, ...withoutActor } = claims;
    const refused: Record<string, string> = {
      'actor changed': edit({ act: 'bob' }),
      'actor removed': `${header}.${Buffer.from(JSON.stringify(withoutActor)).toString('base64url')}.${signature}`,
      'tenant changed': edit({ tenant: 'tenant-b', sub: 'tenant-b' }),
      'expiry extended': edit({ exp: (claims.exp ?? 0) + 3600 }),
      'signed with another secret': await signViewer({}, { secret: 'another-viewer-secret-0123456789abcdefgh' }),
      'signed with the IdP secret': await signViewer({}, { secret: JWT_SECRET }),
      // An IdP-style JWT signed with the viewer secret: without the typ it goes to the IdP verifier, whose key it fails.
      'IdP-style, viewer secret, no typ': await new SignJWT({ tenant: 'tenant-a', role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(VIEWER_SECRET)),
      'viewer claims, viewer secret, no typ': await signViewer({}, { typ: null }),
      expired: await signViewer({}, { expSeconds: -5 }),
      'another audience': await signViewer({}, { audience: JWT_AUDIENCE }),
    };
    assert.equal(codeOf(await api.gql(ME, {}, await signViewer({}))), undefined, 'the signing helper makes valid tokens');
    for (const [name, token] of Object.entries(refused)) {
      const result = await api.gql<MeData>(ME, {}, token);
      assert.equal(codeOf(result), 'UNAUTHENTICATED', `${name}: ${JSON.stringify(result)}`);
      assert.equal(result.errors?.[0]?.message, 'the token is invalid or expired', name);
      assert.equal((await exported(token)).status, 401, name);
    }
    // Rotation: the second listed secret verifies (the first signs).
    const old = await signViewer({ act: 'alice' }, { secret: OLD_VIEWER_SECRET });
    const me = await api.gql<MeData>(ME, {}, old);
    assert.equal(codeOf(me), undefined, JSON.stringify(me.errors));
    assert.equal(me.data?.me.actorId, 'alice');
    assert.equal((await nodes(old)).length, 10);
  });

  it('a cursor from one restriction is refused under another', async () => {
    const alice = await mint(adminA, { actorId: 'alice' });
    const alice2 = await mint(adminA, { actorId: 'alice' });
    const bob = await mint(adminA, { actorId: 'bob' });
    const whole = await mint(adminA);
    const filter = { from: minutesAgo(120), to: minutesAgo(0) };
    const first = await api.gql<NodesData>(EVENT_NODE_QUERY, { filter, first: 3 }, alice);
    const cursor = first.data?.events.pageInfo.endCursor;
    assert.ok(cursor);
    // The same restriction (another token of it) continues.
    const next = await api.gql<NodesData>(EVENT_NODE_QUERY, { filter, first: 3, after: cursor }, alice2);
    assert.equal(codeOf(next), undefined, JSON.stringify(next.errors));
    assert.ok(next.data?.events.edges.every((e) => e.node.actor.id === 'alice'));
    for (const [name, other] of Object.entries({ bob, whole, admin: adminA })) {
      const result: GqlResult<NodesData> = await api.gql<NodesData>(EVENT_NODE_QUERY, { filter, first: 3, after: cursor }, other);
      assert.equal(codeOf(result), 'BAD_USER_INPUT', name);
      assert.equal(result.errors?.[0]?.extensions?.field, 'after', name);
    }
    const adminCursor = (await api.gql<NodesData>(EVENT_NODE_QUERY, { filter, first: 3 }, adminA)).data?.events.pageInfo.endCursor;
    assert.equal(codeOf(await api.gql(EVENT_NODE_QUERY, { filter, first: 3, after: adminCursor }, alice)), 'BAD_USER_INPUT');
  });

  it('a viewer token may call only events, event, eventCounts, topN and me: every other root field is FORBIDDEN', async () => {
    const token = await mint(adminA, { actorId: 'alice' });
    const from = minutesAgo(60);
    const queries = rootQueries(from, minutesAgo(0));
    const pick = (names: readonly string[], source: Record<string, string>): Record<string, string> =>
      Object.fromEntries(names.map((name) => [name, source[name] ?? '']));
    const allowed = pick(['events', 'event', 'eventCounts', 'topN', 'me'], queries);
    const refusedQueries = pick(['streams', 'stream', 'checkpoints', 'verifyIntegrity'], queries);
    const refusedMutations = ROOT_MUTATIONS;
    // Every root field of the schema is in one of the lists, so a new one must be decided here.
    const schema = await api.gql<{ __schema: { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } } }>(
      `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`,
      {},
      token,
    );
    assert.deepEqual(
      schema.data?.__schema.queryType.fields.map((f) => f.name).sort(),
      [...Object.keys(allowed), ...Object.keys(refusedQueries)].sort(),
    );
    assert.deepEqual(schema.data?.__schema.mutationType.fields.map((f) => f.name).sort(), Object.keys(refusedMutations).sort());
    for (const [name, query] of Object.entries(allowed)) {
      const result: GqlResult<unknown> = await api.gql(query, {}, token);
      assert.equal(codeOf(result), undefined, `${name}: ${JSON.stringify(result.errors)}`);
    }
    for (const [name, query] of Object.entries({ ...refusedQueries, ...refusedMutations })) {
      const result: GqlResult<unknown> = await api.gql(query, {}, token);
      assert.equal(codeOf(result), 'FORBIDDEN', `${name}: ${JSON.stringify(result)}`);
      assert.ok(
        Object.values(result.data ?? {}).every((value) => value === null),
        name,
      );
    }
    // The same fields answer (or get past the guard) for the tenant's admin: the refusal is the viewer's.
    assert.equal(codeOf(await api.gql(refusedQueries['checkpoints'] ?? '', {}, adminA)), undefined);
    // One operation mixing both: the allowed field answers, the other (nullable) is refused on its own.
    const mixed = await api.gql<{ me: { role: string } | null; stream: unknown }>(
      `{ me { role } stream(id: "0190f5c2-0000-7000-8000-000000000000") { id } }`,
      {},
      token,
    );
    assert.equal(mixed.data?.stream, null);
    assert.equal(mixed.data?.me?.role, 'viewer');
    assert.equal(codeOf(mixed), 'FORBIDDEN');
    // REST: the export is allowed, the integrity keys are not.
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${api.baseUrl}/v1/integrity/keys`, { headers })).status, 403);
    assert.equal((await fetch(`${api.baseUrl}/v1/integrity/keys`, { headers: { authorization: `Bearer ${adminA}` } })).status, 200);
    assert.equal((await exported(token)).status, 200);
  });

  it('me answers for an API key, a JWT and a viewer token', async () => {
    const key = await api.gql<MeData>(ME, {}, analystA);
    assert.deepEqual(key.data?.me, {
      tenantId: 'tenant-a',
      role: 'analyst',
      credential: 'API_KEY',
      expiresAt: null,
      actorId: null,
      targetType: null,
      targetId: null,
    });
    const jwt = await api.gql<MeData>(ME, {}, await testJwt({ tenant: 'tenant-a', role: 'admin' }));
    assert.equal(jwt.data?.me.credential, 'JWT');
    assert.equal(jwt.data?.me.role, 'admin');
    assert.ok(jwt.data?.me.expiresAt && new Date(jwt.data.me.expiresAt).getTime() > Date.now());
    const viewer = await api.gql<MeData>(ME, {}, await mint(adminA, { actorId: 'bob', targetType: 'document', targetId: 'doc-2' }));
    assert.deepEqual(
      { ...viewer.data?.me, expiresAt: typeof viewer.data?.me.expiresAt },
      {
        tenantId: 'tenant-a',
        role: 'viewer',
        credential: 'VIEWER_TOKEN',
        expiresAt: 'string',
        actorId: 'bob',
        targetType: 'document',
        targetId: 'doc-2',
      },
    );
    // A JWT may not claim the viewer role: only a viewer token carries it.
    assert.equal(codeOf(await api.gql(ME, {}, await testJwt({ tenant: 'tenant-a', role: 'viewer' }))), 'UNAUTHENTICATED');
  });

  it('`vigil viewer-tokens create` signs with the same secret: the API accepts its token and restriction', async () => {
    const env = { QUERY_API_VIEWER_TOKEN_SECRET: VIEWER_SECRET };
    const run = await runCli(['viewer-tokens', 'create', '--tenant', 'tenant-a', '--actor', 'alice', '--ttl', '120', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stderr.includes(VIEWER_SECRET));
    const printed = JSON.parse(run.stdout) as { token: string; tenant: string; actor: string; expires: string };
    assert.equal(printed.actor, 'alice');
    const read = await nodes(printed.token);
    assert.equal(read.length, 10);
    assert.ok(read.every((n) => n.tenantId === 'tenant-a' && n.actor.id === 'alice'));
    const me = await api.gql<MeData>(ME, {}, printed.token);
    assert.equal(me.data?.me.expiresAt, printed.expires);
    const half = await runCli(['viewer-tokens', 'create', '--tenant', 'tenant-a', '--target-type', 'document'], env);
    assert.notEqual(half.code, 0);
    assert.match(half.stderr, /--target-id: targetType and targetId go together/);
    const unset = await runCli(['viewer-tokens', 'create', '--tenant', 'tenant-a'], {});
    assert.notEqual(unset.code, 0);
    assert.match(unset.stderr, /QUERY_API_VIEWER_TOKEN_SECRET/);
  });

  describe('without QUERY_API_VIEWER_TOKEN_SECRET', () => {
    let plain: QueryApiHarness;

    before(async () => {
      plain = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    });

    after(async () => {
      await plain?.stop();
    });

    it('minting is FORBIDDEN naming the variable, and viewer tokens are refused as invalid', async () => {
      const minted = await plain.gql<Minted>(MINT, { input: {} }, adminA);
      assert.equal(codeOf(minted), 'FORBIDDEN');
      assert.match(minted.errors?.[0]?.message ?? '', /not configured.*QUERY_API_VIEWER_TOKEN_SECRET/);
      const result = await plain.gql(ME, {}, await signViewer({}));
      assert.equal(codeOf(result), 'UNAUTHENTICATED');
      assert.equal(result.errors?.[0]?.message, 'the token is invalid or expired');
    });
  });
});

interface LiveReceived {
  id: string;
  tenantId: string;
  actor: { id: string };
  targets: { type: string; id: string }[];
}

describe('query-api viewer tokens on the live tail', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  const publisher = livePublisher('viewer-token-int-spec');
  const tenantA = uniqueName('viewer-live-a');
  const tenantB = uniqueName('viewer-live-b');

  const subscribe = (token: string) => subscribeLive<LiveReceived>(api.baseUrl, token, 'id tenantId actor { id } targets { type id }');

  before(async () => {
    await requireStack();
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_LIVE: 'true',
      QUERY_API_VIEWER_TOKEN_SECRET: VIEWER_SECRET,
    }).start();
  });

  after(async () => {
    await publisher.close();
    await api?.stop();
    await store.drop();
  });

  it('delivers only the restricted actor’s (or target’s) events of the token’s tenant', async () => {
    const admin = await store.apiKey(tenantA, 'admin');
    const mint = async (input: Record<string, unknown>): Promise<string> => {
      const result = await api.gql<Minted>(MINT, { input }, admin);
      assert.equal(codeOf(result), undefined, JSON.stringify(result.errors));
      return result.data?.createViewerToken.token ?? '';
    };
    const byActor = subscribe(await mint({ actorId: 'alice' }));
    const byTarget = subscribe(await mint({ targetType: 'document', targetId: 'doc-1' }));
    const doc1 = [{ type: 'document', id: 'doc-1' }];
    const doc2 = [{ type: 'document', id: 'doc-2' }];
    try {
      // The live group starts at the end of the topics once joined: publish events both match until each got one.
      await waitFor(
        async () => {
          await publisher.publish({ action: 'user.login.failed', tenantId: tenantA, actor: { id: 'alice' }, targets: doc1 });
          return Math.min(byActor.events.length, byTarget.events.length);
        },
        (n) => n > 0,
        'the live tail to deliver a first event to both',
        60_000,
      );
      const sent = await publisher.publishMany([
        { action: 'user.login.failed', tenantId: tenantA, actor: { id: 'bob' }, targets: doc2 },
        { action: 'user.login.failed', tenantId: tenantB, actor: { id: 'alice' }, targets: doc1 },
        { action: 'user.login.failed', tenantId: tenantA, actor: { id: 'bob' }, targets: doc1 },
        { action: 'user.login.failed', tenantId: tenantA, actor: { id: 'alice' }, targets: doc2 },
        { action: 'user.login.failed', tenantId: tenantA, actor: { id: 'carol' }, targets: [{ type: 'folder', id: 'doc-1' }] },
      ]);
      const [, , bobDoc1, aliceDoc2] = sent;
      // The last two matching events arrive; everything before them in the same batch was judged by then.
      await waitFor(
        () => byActor.events.map((e) => e.id),
        (ids) => ids.includes(aliceDoc2?.id ?? ''),
        'alice’s event on doc-2',
      );
      await waitFor(
        () => byTarget.events.map((e) => e.id),
        (ids) => ids.includes(bobDoc1?.id ?? ''),
        'bob’s event on doc-1',
      );
      // A marker after everything, matching both: once it arrived, nothing else can still come.
      const marker = await publisher.publish({ action: 'user.login.failed', tenantId: tenantA, actor: { id: 'alice' }, targets: doc1 });
      await waitFor(
        () => byActor.events.some((e) => e.id === marker.id) && byTarget.events.some((e) => e.id === marker.id),
        (done) => done,
        'the marker event',
      );
      assert.ok(
        byActor.events.every((e) => e.tenantId === tenantA && e.actor.id === 'alice'),
        JSON.stringify(byActor.events),
      );
      assert.ok(
        byTarget.events.every((e) => e.tenantId === tenantA && e.targets.some((t) => t.type === 'document' && t.id === 'doc-1')),
        JSON.stringify(byTarget.events),
      );
      assert.deepEqual([...byActor.errors, ...byTarget.errors], []);
    } finally {
      await byActor.client.dispose();
      await byTarget.client.dispose();
    }
  });
  it('viewer tokens of one end user share a rate bucket, and another end user of the tenant keeps their own', async () => {
    // This API runs the default rate (20/s, burst 60). Two tokens of alice send 90 requests at once: one bucket
    // answers about 60 and refuses the rest, so minting more tokens does not multiply alice's rate. Bob's requests,
    // sent at the same moment, are all answered: alice cannot shut the console off for the tenant's other users.
    const admin = await store.apiKey(tenantA, 'admin');
    const mintFor = async (actorId: string): Promise<string> => {
      const result = await api.gql<Minted>(MINT, { input: { actorId } }, admin);
      return result.data?.createViewerToken.token ?? assert.fail(JSON.stringify(result.errors));
    };
    const alice = await Promise.all([mintFor('alice'), mintFor('alice')]);
    const bob = await mintFor('bob');
    const [aliceResults, bobResults] = await Promise.all([
      Promise.all(Array.from({ length: 90 }, (_, i) => api.gql(ME, {}, alice[i % 2]))),
      Promise.all(Array.from({ length: 20 }, () => api.gql(ME, {}, bob))),
    ]);
    const limited = aliceResults.filter((r) => codeOf(r) === 'RATE_LIMITED').length;
    assert.ok(limited >= 20, `${limited} of alice's 90 requests were refused; one shared bucket refuses about 30`);
    assert.ok(aliceResults.filter((r) => codeOf(r) === undefined).length >= 55);
    assert.deepEqual(
      bobResults.map((r) => codeOf(r)).filter((c) => c !== undefined),
      [],
      'bob has a bucket of his own',
    );
  });
});
