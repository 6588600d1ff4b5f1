import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { v7 as uuidv7 } from 'uuid';
import { topicFor } from '@vigil/events';
import type { AppProcess } from '@vigil/testing';
import { collectFrom, endOffsets, TcpProxy, uniqueName, waitFor } from '@vigil/testing';
import { IngestHarness } from './ingest-test.util';

// The ingest gateway as a producer's HTTP client sees it, against the real Kafka, registry and PostgreSQL (the keys).
const TOPIC = topicFor('authentication');
const harness = new IngestHarness();
const { kafka, admin } = harness;
const keyFor = (tenantId: string, role?: Parameters<IngestHarness['key']>[1]): Promise<string> => harness.key(tenantId, role);

interface Answer {
  status: number;
  body: {
    accepted?: number;
    rejected?: number;
    results?: { index: number; status: string; id?: string; errors?: { path: string; rule: string }[] }[];
    error?: { code: string; message: string };
  };
  headers: Headers;
}

describe('ingest gateway: POST /v1/events', () => {
  let gateway: AppProcess;
  const settings = {
    VIGIL_INGEST_MAX_EVENTS: '50',
    VIGIL_INGEST_MAX_BODY_BYTES: '200000',
    VIGIL_INGEST_MAX_EVENT_BYTES: '2000',
    VIGIL_INGEST_RATE_PER_SECOND: '100',
    VIGIL_INGEST_RATE_BURST: '200',
  };

  async function post(key: string | undefined, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${gateway.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
  }

  before(async () => {
    await harness.open();
    gateway = await harness.gateway(settings);
  });
  after(() => harness.close());

  it('answers 202 with one result per event, only after Kafka has every accepted one; the rest say which field and why', async () => {
    const tenant = uniqueName('acme');
    const key = await keyFor(tenant);
    const from = await endOffsets(admin, [TOPIC]);
    const own = uuidv7();
    const answer = await post(
      key,
      JSON.stringify([
        { action: 'user.login.failed', actor: { id: 'u1' }, client: { ip: '203.0.113.7' } },
        { id: own, tenantId: tenant, action: 'user.login.succeeded', actor: { id: 'u2' } },
        { action: 'user.login.failed', tenantId: 'globex', actor: { id: 'u3' } },
        { action: 'user.login.failed' },
        { action: 'user.login.failed', actor: { id: 'u4' }, targets: 'everyone' },
        { action: 'user.login.failed', actor: { id: 'u5' }, clinet: { ip: '203.0.113.8' } },
        // The gateway fills in a time from a UUIDv7 id: the misspelt time is looked for before that.
        { id: uuidv7(), action: 'user.login.failed', actor: { id: 'u6' }, tiem: '2026-01-01T00:00:00Z' },
        'not an object',
      ]),
    );
    assert.equal(answer.status, 202);
    assert.equal(answer.body.accepted, 2);
    assert.equal(answer.body.rejected, 6);
    const [first, second, other, missing, shape, misspelt, misspeltTime, text] = answer.body.results ?? [];
    assert.equal(first?.status, 'accepted');
    assert.equal(second?.id, own, 'a client-sent id is kept (retries are idempotent in the store and the SIEMs)');
    // Sent again (a retry): the same id and, without a time of its own, the time its UUIDv7 carries, so the same row.
    const retry = await post(key, JSON.stringify({ id: own, action: 'user.login.succeeded', actor: { id: 'u2' } }));
    assert.equal(retry.body.results?.[0]?.id, own);
    assert.deepEqual(other?.errors, [{ path: 'tenantId', rule: `this key publishes for tenant ${tenant} only` }]);
    assert.equal(missing?.errors?.[0]?.path, 'actor');
    assert.deepEqual(shape?.errors, [{ path: 'targets', rule: 'must be an array' }]);
    // Not accepted without its client: a misspelt field is refused, not left out.
    assert.deepEqual(misspelt?.errors, [{ path: 'clinet', rule: 'unknown field; did you mean "client"?' }]);
    assert.deepEqual(misspeltTime?.errors, [{ path: 'tiem', rule: 'unknown field; did you mean "time"?' }]);
    assert.equal(text?.errors?.[0]?.rule, 'must be a JSON object (an event envelope)');
    // Both accepted events are in Kafka, keyed by the key's tenant, exactly as answered.
    const events = await harness.eventsOf(tenant, from, 3);
    assert.deepEqual(events.map((e) => e.id).sort(), [first?.id, own, own].sort());
    assert.deepEqual(
      events.map((e) => e.tenantId),
      [tenant, tenant, tenant],
    );
    const sent = events.filter((e) => e.id === own).map((e) => e.time);
    assert.equal(sent[0], sent[1], 'both sends carry the same time: the store keeps one row');
    assert.equal(sent[0], parseInt(own.replace(/-/g, '').slice(0, 12), 16) * 1000);
  });

  it('refuses what it must without publishing: no key, a reader’s key, bad JSON (with its line), too many events, too big a body', async () => {
    const tenant = uniqueName('acme');
    const key = await keyFor(tenant);
    const event = JSON.stringify({ action: 'user.login.failed', actor: { id: 'u1' } });
    assert.equal((await post(undefined, event)).status, 401);
    const analyst = await post(await keyFor(tenant, 'analyst'), event);
    assert.deepEqual([analyst.status, analyst.body.error?.code], [403, 'FORBIDDEN']);
    const broken = await post(key, '[\n  {"action": "user.login.failed"}\n  {"action": "x"}\n]');
    assert.equal(broken.status, 400);
    assert.match(broken.body.error?.message ?? '', /line 3, column 3: comma expected/);
    const many = await post(key, JSON.stringify(Array.from({ length: 51 }, () => JSON.parse(event) as unknown)));
    assert.deepEqual([many.status, many.body.error?.code], [413, 'TOO_MANY_EVENTS']);
    // 300 KB that gzip shrinks to almost nothing: the limit counts what it inflates to.
    const bomb = gzipSync(Buffer.from(JSON.stringify({ action: 'user.login.failed', description: 'x'.repeat(300_000) })));
    const inflated = await post(key, bomb, { 'content-encoding': 'gzip' });
    assert.deepEqual([inflated.status, inflated.body.error?.code], [413, 'BODY_TOO_LARGE']);
    const oversized = await post(
      key,
      JSON.stringify([{ action: 'user.login.failed', actor: { id: 'u1' }, description: 'x'.repeat(3000) }, JSON.parse(event)]),
    );
    assert.equal(oversized.status, 202, 'the small event still lands');
    assert.match(oversized.body.results?.[0]?.errors?.[0]?.rule ?? '', /^the event is \d+ bytes; at most 2000/);
    const form = await post(key, event, { 'content-type': 'text/plain' });
    assert.equal(form.status, 415);
  });

  it('takes gzip, and holds a key to its event rate with 429 and Retry-After', async () => {
    const key = await keyFor(uniqueName('acme'));
    const batch = (n: number) =>
      gzipSync(Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => ({ action: 'user.login.failed', actor: { id: `u${i}` } })))));
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await post(key, batch(50), { 'content-encoding': 'gzip' }));
    assert.equal(answers[0]?.status, 202);
    const limited = answers.find((a) => a.status === 429);
    assert.ok(limited !== undefined, `a burst of 200 events, then 100/s: ${answers.map((a) => a.status).join(',')}`);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.body.error?.code, 'RATE_LIMITED');
  });

  it('kill -9 under load: every event that got a 202 is in Kafka', async () => {
    const tenant = uniqueName('acme');
    const key = await keyFor(tenant);
    const victim = await harness.gateway();
    const from = await endOffsets(admin, [TOPIC]);
    const acknowledged: string[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        const events = Array.from({ length: 20 }, (_, i) => ({ id: uuidv7(), action: 'user.login.failed', actor: { id: `u${i}` } }));
        try {
          const res = await fetch(`${victim.baseUrl}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify(events),
          });
          const body = (await res.json()) as Answer['body'];
          if (res.status === 202)
            acknowledged.push(...(body.results ?? []).flatMap((r) => (r.status === 'accepted' && r.id ? [r.id] : [])));
        } catch {
          return; // the gateway is gone: whatever was in flight got no answer, so the client would retry it
        }
      }
    };
    const clients = Array.from({ length: 4 }, () => client());
    await waitFor(
      () => acknowledged.length,
      (n) => n >= 400,
      'the gateway under load',
      30_000,
    );
    await victim.kill();
    stop = true;
    await Promise.all(clients);
    const wanted = new Set(acknowledged);
    const collected = await collectFrom(
      kafka,
      from,
      (c) => {
        const seen = new Set(c.map((m) => m.message.headers?.['vigil-event-id']?.toString()));
        return [...wanted].every((id) => seen.has(id));
      },
      { filter: (c) => c.message.key?.toString() === tenant, timeoutMs: 60_000 },
    );
    const inKafka = new Set(collected.map((c) => c.message.headers?.['vigil-event-id']?.toString()));
    assert.deepEqual(
      [...wanted].filter((id) => !inKafka.has(id)),
      [],
      `${acknowledged.length} acknowledged, ${inKafka.size} in Kafka`,
    );
  });

  it('tells a producer an event failed and to send it again, never the registry’s or Kafka’s internal address', async () => {
    // The registry behind a proxy that is cut once the gateway runs: the first event of a category needs its schema id.
    const registry = new URL(harness.env['SCHEMA_REGISTRY_URL'] ?? '');
    const proxy = await new TcpProxy(registry.hostname, Number(registry.port)).start();
    const proxied = new URL(registry);
    proxied.port = String(proxy.port);
    try {
      const cutOff = await harness.gateway({ ...settings, SCHEMA_REGISTRY_URL: proxied.toString() });
      proxy.cut();
      const key = await keyFor(uniqueName('ingest-leak'));
      const res = await fetch(`${cutOff.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ action: 'role.created', actor: { id: 'admin-1' }, targets: [{ type: 'role', id: 'r-9', name: 'auditor' }] }),
      });
      assert.equal(res.status, 503);
      const body = (await res.json()) as { failed: number; results: { status: string; error?: string }[] };
      assert.equal(body.failed, 1);
      const error = body.results[0]?.error ?? '';
      assert.match(error, /not published, send it again/);
      assert.doesNotMatch(error, new RegExp(`${proxy.port}|127\\.0\\.0\\.1|localhost|ECONNREFUSED|apis/ccompat`), error);
    } finally {
      await proxy.stop();
    }
  });
});
