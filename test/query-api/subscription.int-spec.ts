import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { AuditPublisher } from '@vigil/audit-sdk';
import { ApiKeyRepository } from '@vigil/store';
import { requireStack, uniqueName, waitFor } from '@vigil/testing';
import {
  JWT_AUDIENCE,
  JWT_ISSUER,
  JWT_SECRET,
  livePublisher,
  PEPPER,
  QueryApiHarness,
  QueryTestStore,
  subscribeLive,
  type LiveSubscriber,
} from './query-api-test.util';

interface Received {
  id: string;
  tenantId: string;
  action: string;
}

/** A graphql-ws subscription to eventAdded of `id tenantId action` that collects what arrives (and the errors). */
function subscribe(baseUrl: string, credential: string | undefined, filter: Record<string, unknown>): Subscriber {
  return subscribeLive<Received>(baseUrl, credential, 'id tenantId action', filter);
}

type Subscriber = LiveSubscriber<Received>;

const codeOf = (errors: unknown[]) => (errors[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;

/** Publishes warm-up events of `tenantId` until `subscriber` got one: the live group has joined and the subscription runs. */
async function warmUp(publisher: AuditPublisher, tenantId: string, subscriber: Subscriber): Promise<void> {
  await waitFor(
    async () => {
      await publisher.publish({ action: 'user.login.failed', tenantId, actor: { id: 'warm-up' } });
      return subscriber.events.length;
    },
    (n) => n > 0,
    'the live tail to deliver a first event',
    60_000,
  );
}

/** Opens a raw graphql-transport-ws connection, sends `message` once open, and resolves with how the server closed it. */
function closeAfterSending(baseUrl: string, message: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    socket.addEventListener('open', () => socket.send(message));
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
    socket.addEventListener('error', () => undefined); // a close follows; the close says why
    setTimeout(() => reject(new Error('the server did not close the connection within 10 s')), 10_000).unref();
  });
}

const MAX_CONNECTIONS = 4;

const initWith = (key: string): string => JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}` } });

/** A raw graphql-transport-ws connection authenticated with `key`, once the server acknowledged it; rejects if it closes first. */
function acknowledged(baseUrl: string, key: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    socket.addEventListener('open', () => socket.send(initWith(key)));
    socket.addEventListener('message', (event) => {
      if ((JSON.parse(String(event.data)) as { type?: string }).type === 'connection_ack') resolve(socket);
    });
    socket.addEventListener('close', (event) => reject(new Error(`closed with ${event.code} ${event.reason}`)));
    socket.addEventListener('error', () => undefined);
  });
}

describe('query-api live tail (eventAdded)', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  const publisher = livePublisher('query-api-int-spec');
  const tenantA = uniqueName('live-a');
  const tenantB = uniqueName('live-b');

  before(async () => {
    await requireStack();
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_LIVE: 'true',
      QUERY_API_LIVE_RECHECK_SECONDS: '1',
      QUERY_API_LIVE_MAX_PER_KEY: '2',
      QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY: String(MAX_CONNECTIONS),
    }).start();
  });

  after(async () => {
    await publisher.close();
    await api?.stop();
    await store.drop();
  });

  it('streams only the subscriber’s tenant’s matching events, from Kafka', async () => {
    const keyA = await store.apiKey(tenantA);
    const keyB = await store.apiKey(tenantB);
    const a = subscribe(api.baseUrl, keyA, { actions: ['user.login.*'] });
    const b = subscribe(api.baseUrl, keyB, {});
    try {
      // The live group starts at the end of the topics once it has joined: publish until a first event gets through.
      await warmUp(publisher, tenantA, a);
      const sent = await publisher.publishMany([
        { action: 'user.login.failed', tenantId: tenantA, actor: { id: 'a-1' } },
        { action: 'user.login.failed', tenantId: tenantB, actor: { id: 'b-1' } },
        { action: 'user.logout.failed', tenantId: tenantA, actor: { id: 'a-2' } },
        { action: 'user.login.failed', tenantId: tenantB, actor: { id: 'b-2' } },
      ]);
      const [a1, b1, , b2] = sent;
      await waitFor(
        () => a.events.map((e) => e.id),
        (ids) => ids.includes(a1?.id ?? ''),
        'tenant A’s login event',
      );
      await waitFor(
        () => b.events.map((e) => e.id),
        (ids) => ids.includes(b1?.id ?? '') && ids.includes(b2?.id ?? ''),
        'tenant B’s events',
      );
      assert.ok(
        a.events.every((e) => e.tenantId === tenantA && e.action.startsWith('user.login.')),
        JSON.stringify(a.events),
      );
      assert.ok(
        b.events.every((e) => e.tenantId === tenantB),
        JSON.stringify(b.events),
      );
      assert.deepEqual(a.errors, []);
    } finally {
      await a.client.dispose();
      await b.client.dispose();
    }
  });

  it('refuses a connection without a valid credential at connection_init (4401), and allTenants for an analyst', async () => {
    const anonymous = subscribe(api.baseUrl, undefined, {});
    const forged = subscribe(api.baseUrl, 'vigil_0123456789ab_' + 'A'.repeat(43), {});
    const analyst = subscribe(api.baseUrl, await store.apiKey(tenantA), { allTenants: true });
    try {
      for (const refused of [anonymous, forged]) {
        await waitFor(
          () => refused.closes.length,
          (n) => n > 0,
          'the connection to be closed',
        );
        assert.equal(refused.closes[0]?.code, 4401);
      }
      assert.match(anonymous.closes[0]?.reason ?? '', /send an API key or a JWT/);
      assert.match(forged.closes[0]?.reason ?? '', /unknown or revoked/);
      await waitFor(
        () => codeOf(analyst.errors),
        (code) => code !== undefined,
        'the cross-tenant subscription to fail',
      );
      assert.equal(codeOf(analyst.errors), 'FORBIDDEN');
      assert.deepEqual([...anonymous.events, ...forged.events, ...analyst.events], []);
    } finally {
      await anonymous.client.dispose();
      await forged.client.dispose();
      await analyst.client.dispose();
    }
  });

  it('ends a revoked key’s subscription with 4401 at the next re-check', async () => {
    const tenant = uniqueName('live-revoked');
    const { key, info } = await new ApiKeyRepository().create(store.pool, { tenantId: tenant, role: 'analyst', name: 'revoked' }, PEPPER);
    const subscriber = subscribe(api.baseUrl, key, {});
    try {
      await warmUp(publisher, tenant, subscriber);
      const revokedAt = Date.now();
      assert.equal(await new ApiKeyRepository().revoke(store.pool, info.id), true);
      await waitFor(
        () => subscriber.closes.length,
        (n) => n > 0,
        'the revoked key’s connection to close',
        60_000,
      );
      assert.equal(subscriber.closes[0]?.code, 4401);
      assert.match(subscriber.closes[0]?.reason ?? '', /unknown or revoked/);
      process.stdout.write(`# revoked key's subscription closed ${Date.now() - revokedAt} ms after the revocation\n`);
      const seen = subscriber.events.length;
      await publisher.publish({ action: 'user.login.failed', tenantId: tenant, actor: { id: 'after-revocation' } });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(subscriber.events.length, seen, 'nothing reaches a revoked key');
    } finally {
      await subscriber.client.dispose();
    }
  });

  it('ends a subscription when its JWT expires', async () => {
    const tenant = uniqueName('live-jwt');
    const token = await new SignJWT({ tenant, role: 'analyst' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-expiring')
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 4)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const subscriber = subscribe(api.baseUrl, token, {});
    try {
      await warmUp(publisher, tenant, subscriber);
      await waitFor(
        () => subscriber.closes.length,
        (n) => n > 0,
        'the expired token’s connection to close',
        30_000,
      );
      assert.equal(subscriber.closes[0]?.code, 4401);
      assert.match(subscriber.closes[0]?.reason ?? '', /expired/);
    } finally {
      await subscriber.client.dispose();
    }
  });

  it('closes a connection whose first message is past QUERY_API_LIVE_MAX_MESSAGE_BYTES (1009) before reading it as JSON', async () => {
    // 200 KiB of connection_init from a caller with no credential at all: ws's own default would take 100 MiB.
    const huge = JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(200 * 1024) } });
    const closed = await closeAfterSending(api.baseUrl, huge);
    assert.equal(closed.code, 1009, JSON.stringify(closed));
    // A connection_init of normal size is still read and answered (here refused for its missing credential).
    const small = await closeAfterSending(api.baseUrl, JSON.stringify({ type: 'connection_init', payload: {} }));
    assert.equal(small.code, 4401, JSON.stringify(small));
  });

  it('caps the live connections one key holds (4429, QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY) and counts one again when it closes', async () => {
    const tenant = uniqueName('live-conns');
    const key = await store.apiKey(tenant);
    // Connections that authenticate and then just stay open, subscribing to nothing.
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => acknowledged(api.baseUrl, key)));
    const other = await acknowledged(api.baseUrl, await store.apiKey(tenant));
    const opened = [...held, other];
    try {
      const refused = await closeAfterSending(api.baseUrl, initWith(key));
      assert.equal(refused.code, 4429, JSON.stringify(refused));
      assert.match(refused.reason, /QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY/);
      // A second key of the same tenant is not counted with the first; a closed connection gives its place back.
      held[0]?.close();
      await waitFor(
        async () => {
          const socket = await acknowledged(api.baseUrl, key).catch(() => undefined);
          if (socket) opened.push(socket);
          return socket !== undefined;
        },
        (ok) => ok,
        'a connection of the key to be accepted again',
      );
      assert.equal(other.readyState, WebSocket.OPEN);
    } finally {
      for (const socket of opened) socket.close();
    }
  });

  it('caps the subscriptions of one key (TOO_MANY_SUBSCRIPTIONS) and counts one again when it ends', async () => {
    const tenant = uniqueName('live-cap');
    const key = await store.apiKey(tenant);
    const first = subscribe(api.baseUrl, key, {});
    const second = subscribe(api.baseUrl, key, {});
    const otherKey = subscribe(api.baseUrl, await store.apiKey(tenant), {});
    let third: Subscriber | undefined;
    let fourth: Subscriber | undefined;
    try {
      await warmUp(publisher, tenant, first);
      await waitFor(
        () => second.events.length + otherKey.events.length,
        (n) => n >= 2,
        'the other subscriptions to run',
      );
      third = subscribe(api.baseUrl, key, {});
      await waitFor(
        () => codeOf(third?.errors ?? []),
        (code) => code !== undefined,
        'the third subscription of the key to be refused',
      );
      assert.equal(codeOf(third.errors), 'TOO_MANY_SUBSCRIPTIONS');
      // A second key of the same tenant is not counted with the first.
      assert.deepEqual(otherKey.errors, []);
      await first.client.dispose();
      fourth = subscribe(api.baseUrl, key, {});
      await warmUp(publisher, tenant, fourth);
      assert.deepEqual(fourth.errors, []);
    } finally {
      for (const s of [first, second, otherKey, third, fourth]) await s?.client.dispose();
    }
  });
});
