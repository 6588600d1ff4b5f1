import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import { AuditPublisher } from '@vigil/audit-sdk';
import { requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { QueryApiHarness, QueryTestStore } from './query-api-test.util';

interface Received {
  id: string;
  tenantId: string;
  action: string;
}

/** A graphql-ws subscription to eventAdded that collects what arrives (and the errors). */
function subscribe(
  baseUrl: string,
  credential: string | undefined,
  filter: Record<string, unknown>,
): { client: Client; events: Received[]; errors: unknown[] } {
  const client = createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: credential ? { Authorization: `Bearer ${credential}` } : {},
    retryAttempts: 0,
  });
  const events: Received[] = [];
  const errors: unknown[] = [];
  client.subscribe<{ eventAdded: Received }>(
    { query: `subscription ($filter: LiveEventFilter) { eventAdded(filter: $filter) { id tenantId action } }`, variables: { filter } },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) events.push(result.data.eventAdded);
      },
      error: (err) => errors.push(err),
      complete: () => undefined,
    },
  );
  return { client, events, errors };
}

describe('query-api live tail (eventAdded)', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  const publisher = new AuditPublisher({
    kafka: { brokers: testEnv.kafkaBrokers },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'query-api-int-spec', version: '1.0.0' },
    logger: pino({ level: 'silent' }),
  });
  const tenantA = uniqueName('live-a');
  const tenantB = uniqueName('live-b');

  before(async () => {
    await requireStack();
    await store.create();
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_LIVE: 'true',
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
      await waitFor(
        async () => {
          await publisher.publish({ action: 'user.login.failed', tenantId: tenantA, actor: { id: 'warm-up' } });
          return a.events.length;
        },
        (n) => n > 0,
        'the live tail to deliver a first event',
        60_000,
      );
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

  it('refuses a subscription without a credential, and allTenants for an analyst', async () => {
    const anonymous = subscribe(api.baseUrl, undefined, {});
    const analyst = subscribe(api.baseUrl, await store.apiKey(tenantA), { allTenants: true });
    try {
      const codeOf = (errors: unknown[]) => (errors[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
      await waitFor(
        () => codeOf(anonymous.errors),
        (code) => code !== undefined,
        'the anonymous subscription to fail',
      );
      assert.equal(codeOf(anonymous.errors), 'UNAUTHENTICATED');
      await waitFor(
        () => codeOf(analyst.errors),
        (code) => code !== undefined,
        'the cross-tenant subscription to fail',
      );
      assert.equal(codeOf(analyst.errors), 'FORBIDDEN');
      assert.deepEqual([...anonymous.events, ...analyst.events], []);
    } finally {
      await anonymous.client.dispose();
      await analyst.client.dispose();
    }
  });
});
