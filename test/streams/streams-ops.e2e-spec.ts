import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inheritedEnvironment } from '@vigil/config';
import { uniqueName, waitFor, type AppProcess } from '@vigil/testing';
import { WebhookDouble } from '../doubles/webhook.double';
import { QueryTestStore, type QueryApiHarness } from '../query-api/query-api-test.util';
import { ok, runCli } from '../replay/replay-test.util';
import {
  CREATE_STREAM,
  interleaved,
  PartitionWriter,
  queryApi,
  SECRET_KEY_A,
  SECRET_KEY_B,
  streamsApp,
  streamsEnv,
  waitForState,
  webhookStreamInput,
  type StreamData,
} from './streams-test.util';

const UPDATE = `mutation Update($id: ID!, $input: UpdateStreamInput!) { updateStream(id: $id, input: $input) { id version } }`;

describe('operating streams: key rotation, suspension, replay, the CLI', { timeout: 240_000 }, () => {
  const store = new QueryTestStore();
  const writer = new PartitionWriter();
  const tenant = uniqueName('ops');
  const doubles: WebhookDouble[] = [];
  let api: QueryApiHarness;
  let admin: string;
  let app: AppProcess | undefined;
  const group = uniqueName('streams-ops');

  async function double(): Promise<WebhookDouble> {
    const d = await WebhookDouble.start();
    doubles.push(d);
    return d;
  }

  async function create(siem: WebhookDouble): Promise<string> {
    const result = await api.gql<{ createStream: StreamData }>(CREATE_STREAM, { input: webhookStreamInput(siem.url, siem.secret) }, admin);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return (result.data as { createStream: StreamData }).createStream.id;
  }

  async function restartApp(env: Record<string, string>): Promise<void> {
    await app?.stop();
    app = await streamsApp(store, group, env).start();
  }

  function cliEnv(keys: string): Record<string, string> {
    return { ...inheritedEnvironment(), ...streamsEnv(store, keys), LOG_LEVEL: 'warn' };
  }

  before(async () => {
    await store.create();
    admin = await store.apiKey(tenant, 'admin');
    api = await queryApi(store).start(); // seals with key A
  });

  after(async () => {
    await app?.stop();
    await api?.stop();
    await Promise.all(doubles.map((d) => d.close()));
    await writer.close();
    await store.drop();
  });

  it('rotates the secret key: new key first, reseal, old key dropped, delivery never stops', async () => {
    const siem = await double();
    const id = await create(siem);
    const keyIdOf = async (): Promise<string | undefined> =>
      (await store.pool.query<{ k: string }>('SELECT secrets_key_id AS k FROM vigil_stream WHERE id = $1', [id])).rows[0]?.k;
    assert.equal(await keyIdOf(), 'ka');
    await restartApp({ VIGIL_STREAM_SECRET_KEYS: `${SECRET_KEY_B},${SECRET_KEY_A}` });
    await waitForState(api, admin, id, 'active');
    const first = interleaved([tenant], 5);
    await writer.write(first);
    await waitFor(
      () => siem.eventIds().length,
      (n) => n >= 5,
      'delivery with both keys listed',
      30_000,
    );
    const resealed = ok(await runCli(['streams', 'reseal'], cliEnv(`${SECRET_KEY_B},${SECRET_KEY_A}`)));
    assert.match(resealed.stdout, /^[1-9]\d* of \d+ streams resealed with the current key/);
    assert.equal(await keyIdOf(), 'kb');
    await restartApp({ VIGIL_STREAM_SECRET_KEYS: SECRET_KEY_B });
    await waitForState(api, admin, id, 'active');
    await writer.write(interleaved([tenant], 5));
    await waitFor(
      () => siem.eventIds().length,
      (n) => n >= 10,
      'delivery with the new key alone',
      30_000,
    );
    // An app that lost the key says so in the stream's health instead of sending unsigned.
    await restartApp({ VIGIL_STREAM_SECRET_KEYS: SECRET_KEY_A });
    const broken = await waitForState(api, admin, id, 'failing');
    assert.match(broken.health?.reason ?? '', /sealed with key kb, which VIGIL_STREAM_SECRET_KEYS no longer lists/);
    await restartApp({ VIGIL_STREAM_SECRET_KEYS: SECRET_KEY_A + ',' + SECRET_KEY_B });
  });

  it('suspends a stream whose SIEM keeps refusing the credentials, and resumes it with new secrets, nothing lost', async () => {
    await restartApp({ VIGIL_STREAM_SECRET_KEYS: `${SECRET_KEY_A},${SECRET_KEY_B}`, VIGIL_STREAMS_SUSPEND_AFTER_AUTH_FAILURES: '3' });
    const siem = await double();
    const id = await create(siem);
    await waitForState(api, admin, id, 'active');
    siem.failNext(1_000_000, 401);
    const events = interleaved([tenant], 20);
    await writer.write(events);
    const suspended = await waitForState(api, admin, id, 'suspended', 60_000);
    assert.match(suspended.health?.reason ?? '', /suspended after 3 credential refusals in a row/);
    assert.match(suspended.health?.recovery ?? '', /updateStream/);
    const status = ok(await runCli(['streams', 'status', id], cliEnv(SECRET_KEY_A)));
    assert.match(status.stdout, /state: suspended/);
    assert.doesNotMatch(status.stdout, new RegExp(siem.secret));
    siem.clearFailures();
    assert.equal((await api.gql(UPDATE, { id, input: { secrets: { signingSecret: siem.secret } } }, admin)).errors, undefined);
    await waitFor(
      () => new Set(siem.eventIds()),
      (got) => events.every((e) => got.has(e.id)),
      'the suspended stream to catch up',
      60_000,
    );
    await waitForState(api, admin, id, 'active');
  });

  it('replays retained events into a stream (vigil replay --stream), then the stream rejoins', async () => {
    const siem = await double();
    const id = await create(siem);
    await waitForState(api, admin, id, 'active');
    const since = new Date(Date.now() - 1000).toISOString();
    const events = interleaved([tenant], 30);
    await writer.write(events);
    // Another tenant's events under this tenant's key (a producer keying by something else than the tenant): never
    // this stream's, on the shared path or when it replays.
    const misKeyed = interleaved([uniqueName('streams-other')], 3);
    await writer.write(misKeyed, 0, tenant);
    await waitFor(
      () => siem.eventIds().length,
      (n) => n >= 30,
      'live delivery',
      30_000,
    );
    const run = ok(await runCli(['replay', '--stream', id, '--from', since], cliEnv(SECRET_KEY_A)));
    assert.match(run.stdout, /replay into stream .* started/);
    await waitFor(
      () => events.filter((e) => siem.eventIds().filter((x) => x === e.id).length >= 2).length,
      (n) => n === events.length,
      'every event delivered a second time',
      60_000,
    );
    assert.deepEqual(
      misKeyed.filter((e) => siem.eventIds().includes(e.id)).map((e) => e.tenantId),
      [],
      'another tenant’s events reached this stream',
    );
    await waitForState(api, admin, id, 'active');
    const listed = ok(await runCli(['streams', 'list', '--tenant', tenant, '--json'], cliEnv(SECRET_KEY_A)));
    const rows = JSON.parse(listed.stdout) as { id: string; tenantId: string }[];
    assert.ok(rows.some((r) => r.id === id) && rows.every((r) => r.tenantId === tenant));
  });
});
