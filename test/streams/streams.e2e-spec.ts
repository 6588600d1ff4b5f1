import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { topicFor } from '@vigil/events';
import { collectFrom, endOffsets, uniqueName, waitFor, type AppProcess } from '@vigil/testing';
import { DatadogDouble } from '../doubles/datadog.double';
import { WebhookDouble } from '../doubles/webhook.double';
import { codeOf, QueryTestStore, type QueryApiHarness } from '../query-api/query-api-test.util';
import {
  CREATE_STREAM,
  interleaved,
  PartitionWriter,
  queryApi,
  STREAM_FIELDS,
  streamsApp,
  waitForState,
  webhookStreamInput,
  type StreamData,
} from './streams-test.util';

const ONE = `query One($id: ID!) { stream(id: $id) { ${STREAM_FIELDS} } }`;
const LIST = `query List { streams { ${STREAM_FIELDS} } }`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateStreamInput!) { updateStream(id: $id, input: $input) { ${STREAM_FIELDS} } }`;
const DISABLE = `mutation Disable($id: ID!) { disableStream(id: $id) { ${STREAM_FIELDS} } }`;
const ENABLE = `mutation Enable($id: ID!) { enableStream(id: $id) { ${STREAM_FIELDS} } }`;
const DELETE = `mutation Delete($id: ID!) { deleteStream(id: $id) { id } }`;
const TEST = `mutation Test($id: ID!) { testStream(id: $id) { ok outcome message eventId } }`;

describe('per-tenant streams (query API + streams app, real Kafka and PostgreSQL)', { timeout: 240_000 }, () => {
  const store = new QueryTestStore();
  const writer = new PartitionWriter();
  const tenantA = uniqueName('acme');
  const tenantB = uniqueName('globex');
  let api: QueryApiHarness;
  let app: AppProcess;
  let adminA: string;
  let adminB: string;
  let analystA: string;
  const doubles: WebhookDouble[] = [];

  async function double(): Promise<WebhookDouble> {
    const d = await WebhookDouble.start();
    doubles.push(d);
    return d;
  }

  async function create(key: string, input: Record<string, unknown>): Promise<StreamData> {
    const result = await api.gql<{ createStream: StreamData }>(CREATE_STREAM, { input }, key);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return (result.data as { createStream: StreamData }).createStream;
  }

  before(async () => {
    await store.create();
    [adminA, adminB, analystA] = await Promise.all([
      store.apiKey(tenantA, 'admin'),
      store.apiKey(tenantB, 'admin'),
      store.apiKey(tenantA, 'analyst'),
    ]);
    api = await queryApi(store).start();
    app = await streamsApp(store, uniqueName('streams-e2e')).start();
  });

  after(async () => {
    await app?.stop();
    await api?.stop();
    await Promise.all(doubles.map((d) => d.close()));
    await writer.close();
    await store.drop();
  });

  it("delivers to each tenant's stream only that tenant's events, interleaved on one partition", async () => {
    const [siemA, siemB] = [await double(), await double()];
    const a = await create(adminA, webhookStreamInput(siemA.url, siemA.secret));
    const b = await create(adminB, webhookStreamInput(siemB.url, siemB.secret));
    await waitForState(api, adminA, a.id, 'active');
    await waitForState(api, adminB, b.id, 'active');
    const events = interleaved([tenantA, tenantB], 150);
    await writer.write(events);
    const idsOf = (tenant: string): string[] =>
      events
        .filter((e) => e.tenantId === tenant)
        .map((e) => e.id)
        .sort();
    await waitFor(
      () => new Set(siemA.eventIds()).size,
      (n) => n >= 150,
      'tenant A’s events at A’s SIEM',
      60_000,
    );
    await waitFor(
      () => new Set(siemB.eventIds()).size,
      (n) => n >= 150,
      'tenant B’s events at B’s SIEM',
      60_000,
    );
    assert.deepEqual([...new Set(siemA.eventIds())].sort(), idsOf(tenantA));
    assert.deepEqual([...new Set(siemB.eventIds())].sort(), idsOf(tenantB));
    assert.ok(
      siemA.events().every((e) => e['tenantId'] === tenantA),
      'a B event reached A',
    );
  });

  it("keeps a tenant admin away from another tenant's streams, and analysts away from all", async () => {
    const siem = await double();
    const b = await create(adminB, webhookStreamInput(siem.url, siem.secret));
    assert.equal((await api.gql<{ stream: unknown }>(ONE, { id: b.id }, adminA)).data?.stream, null);
    const listed = (await api.gql<{ streams: StreamData[] }>(LIST, {}, adminA)).data?.streams ?? [];
    assert.ok(listed.length > 0 && listed.every((s) => s.tenantId === tenantA), 'A lists only its own streams');
    for (const [query, variables] of [
      [UPDATE, { id: b.id, input: { settings: { url: 'http://127.0.0.1:1' } } }],
      [DISABLE, { id: b.id }],
      [DELETE, { id: b.id }],
      [TEST, { id: b.id }],
    ] as const)
      assert.equal(codeOf(await api.gql(query, variables, adminA)), 'NOT_FOUND', query.slice(0, 20));
    const intoB = await api.gql(CREATE_STREAM, { input: { ...webhookStreamInput(siem.url, siem.secret), tenantId: tenantB } }, adminA);
    assert.equal(codeOf(intoB), 'NOT_FOUND');
    assert.equal(codeOf(await api.gql(LIST, {}, analystA)), 'FORBIDDEN');
    assert.equal(
      (await api.gql<{ stream: StreamData }>(ONE, { id: b.id }, adminB)).data?.stream.settings['url'],
      siem.url,
      'B’s stream unchanged',
    );
  });

  it('never returns or stores a secret in clear, and seals it to the stream', async () => {
    const siem = await double();
    const token = `tok-${uniqueName('secret')}-visible-if-leaked`;
    const created = await api.gql<{ createStream: StreamData }>(
      CREATE_STREAM,
      {
        input: webhookStreamInput(siem.url, siem.secret, {
          secrets: { signingSecret: siem.secret, 'headers.Authorization': `Bearer ${token}` },
        }),
      },
      adminA,
    );
    assert.doesNotMatch(JSON.stringify(created), new RegExp(token));
    const stream = (created.data as { createStream: StreamData }).createStream;
    assert.deepEqual(stream.secretNames, ['headers.Authorization', 'signingSecret']);
    for (const query of [ONE, LIST])
      assert.doesNotMatch(JSON.stringify(await api.gql(query, { id: stream.id }, adminA)), new RegExp(token));
    const row = await store.pool.query<{ text: string }>(`SELECT row_to_json(s)::text AS text FROM vigil_stream s WHERE id = $1`, [
      stream.id,
    ]);
    assert.doesNotMatch(row.rows[0]?.text ?? '', new RegExp(token));
    assert.doesNotMatch(row.rows[0]?.text ?? '', new RegExp(Buffer.from(token).toString('hex')));
    // The app uses it: the SIEM sees the header.
    await waitForState(api, adminA, stream.id, 'active');
    await writer.write(interleaved([tenantA], 1));
    await waitFor(
      () => siem.lastRequest()?.headers['authorization'],
      (h) => h === `Bearer ${token}`,
      'the secret header at the SIEM',
      30_000,
    );
    assert.ok(!app.output.join('').includes(token), 'the streams app logged the secret');
  });

  it('runs a Datadog stream like any other sink type: the API key is a secret, the entries carry the tenant', async () => {
    const dd = await DatadogDouble.start();
    try {
      const stream = await create(adminA, {
        name: uniqueName('dd'),
        type: 'datadog',
        categories: ['authentication'],
        settings: { url: dd.url, tags: ['env:e2e'] },
        secrets: { apiKey: dd.apiKey },
      });
      assert.deepEqual(stream.secretNames, ['apiKey']);
      await waitForState(api, adminA, stream.id, 'active');
      const events = interleaved([tenantA, tenantB], 10);
      await writer.write(events);
      const mine = events.filter((e) => e.tenantId === tenantA).map((e) => e.id);
      await waitFor(
        () => new Set(dd.eventIds()),
        (got) => mine.every((id) => got.has(id)),
        'tenant A’s entries at Datadog',
        30_000,
      );
      assert.ok(dd.entries().every((e) => e.ddtags?.startsWith(`tenant:${tenantA},`) && e.ddtags.endsWith(',env:e2e')));
    } finally {
      await dd.close();
    }
  });

  it('publishes an audit event, through the SDK, for every change to a stream', async () => {
    const siem = await double();
    const admin = writer.kafka.admin();
    await admin.connect();
    // Disconnected at once: an admin left connected held this file's process open after its tests.
    const from = await endOffsets(admin, [topicFor('data-integration')]).finally(() => admin.disconnect());
    const stream = await create(adminA, webhookStreamInput(siem.url, siem.secret));
    assert.equal(
      codeOf(
        await api.gql(UPDATE, { id: stream.id, input: { minSeverity: 'HIGH', secrets: { signingSecret: 'rotated-secret' } } }, adminA),
      ),
      undefined,
    );
    assert.equal(codeOf(await api.gql(DISABLE, { id: stream.id }, adminA)), undefined);
    assert.equal(codeOf(await api.gql(ENABLE, { id: stream.id }, adminA)), undefined);
    assert.equal(codeOf(await api.gql(DELETE, { id: stream.id }, adminA)), undefined);
    const expected = ['stream.created', 'stream.updated', 'stream.disabled', 'stream.enabled', 'stream.deleted'];
    const mine = (text: string): boolean => text.includes(stream.id);
    const collected = await collectFrom(
      writer.kafka,
      from,
      (c) => c.filter((m) => mine(m.message.value?.toString('latin1') ?? '')).length >= expected.length,
      {
        timeoutMs: 30_000,
      },
    );
    const texts = collected.map((c) => c.message.value?.toString('latin1') ?? '').filter(mine);
    for (const action of expected)
      assert.ok(
        texts.some((t) => t.includes(action)),
        `${action} was not published`,
      );
    assert.ok(
      texts.every((t) => t.includes(tenantA) && !t.includes('rotated-secret')),
      'events belong to the tenant and carry no secret',
    );
    assert.ok(
      texts.some((t) => t.includes('secrets.signingSecret') && t.includes('minSeverity')),
      'the update names the changed fields',
    );
  });

  it('reports the SIEM’s exact answer to a test event', async () => {
    const siem = await double();
    const stream = await create(adminA, webhookStreamInput(siem.url, siem.secret));
    const ok = await api.gql<{ testStream: { ok: boolean; outcome: string; eventId: string } }>(TEST, { id: stream.id }, adminA);
    assert.equal(ok.data?.testStream.ok, true, JSON.stringify(ok));
    assert.ok(siem.eventIds().includes(ok.data?.testStream.eventId ?? ''), 'the test event reached the SIEM');
    siem.failNext(1, 403);
    const refused = await api.gql<{ testStream: { ok: boolean; outcome: string; message: string } }>(TEST, { id: stream.id }, adminA);
    assert.equal(refused.data?.testStream.outcome, 'auth-failed');
    assert.match(refused.data?.testStream.message ?? '', /HTTP 403: \{"error":"injected 403"\}/);
  });

  it('refuses invalid streams field by field, and streams aimed at private addresses by default', async () => {
    const bad = await api.gql(
      CREATE_STREAM,
      { input: { name: 'x', type: 'http', settings: { url: 'not a url', tokenEnv: 'DATABASE_URL' } } },
      adminA,
    );
    assert.equal(codeOf(bad), 'BAD_USER_INPUT');
    assert.match(bad.errors?.[0]?.message ?? '', /settings\.tokenEnv: is a secret/);
    const strict = await queryApi(store, {
      VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS: 'false',
      VIGIL_STREAMS_ALLOW_INSECURE_HTTP: 'false',
    }).start();
    try {
      const plain = await strict.gql(CREATE_STREAM, { input: webhookStreamInput('http://siem.example.com/in', 's') }, adminA);
      assert.match(plain.errors?.[0]?.message ?? '', /settings\.url: must be an https URL/);
      const internal = await strict.gql(CREATE_STREAM, { input: webhookStreamInput('https://127.0.0.1:5432/', 's') }, adminA);
      assert.equal(codeOf(internal), 'BAD_USER_INPUT');
      assert.match(internal.errors?.[0]?.message ?? '', /resolves to 127\.0\.0\.1 \(loopback\); streams may only send to public addresses/);
    } finally {
      await strict.stop();
    }
  });

  it('lets a failing SIEM leave the shared path while the tenant’s other stream goes on, then catches it up with nothing lost', async () => {
    const [healthy, broken] = [await double(), await double()];
    const good = await create(adminA, webhookStreamInput(healthy.url, healthy.secret));
    const bad = await create(adminA, webhookStreamInput(broken.url, broken.secret));
    await waitForState(api, adminA, bad.id, 'active');
    broken.failNext(100_000, 503);
    const first = interleaved([tenantA], 100);
    await writer.write(first);
    await waitFor(
      () => new Set(healthy.eventIds()).size,
      (n) => n >= 100,
      'the healthy stream’s events',
      30_000,
    );
    const failing = await waitForState(api, adminA, bad.id, 'failing');
    assert.match(failing.health?.lastError ?? '', /HTTP 503/);
    assert.match(failing.health?.recovery ?? '', /catches up on its own/);
    // While the broken SIEM is down, the healthy one keeps receiving.
    const second = interleaved([tenantA], 100);
    await writer.write(second);
    await waitFor(
      () => new Set(healthy.eventIds()).size,
      (n) => n >= 200,
      'the healthy stream’s later events',
      30_000,
    );
    broken.clearFailures();
    const want = [...first, ...second].map((e) => e.id);
    await waitFor(
      () => new Set(broken.eventIds()),
      (got) => want.every((id) => got.has(id)),
      'the broken stream to catch up',
      90_000,
    );
    await waitForState(api, adminA, bad.id, 'active', 60_000);
    const healthyState = await waitForState(api, adminA, good.id, 'active');
    assert.ok((healthyState.health?.delivered24h ?? 0) >= 200, 'the healthy stream counts what it delivered');
  });
});
