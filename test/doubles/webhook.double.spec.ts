import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EcsMapper, NativeMapper, OtlpMapper } from '@vigil/formats';
import { anAuditEvent } from '@vigil/testing';
import { WebhookDouble } from './webhook.double';

function signed(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-vigil-timestamp': String(timestamp), 'x-vigil-signature': `v1=${signature}` };
}

describe(WebhookDouble.name, () => {
  let hook: WebhookDouble;
  before(async () => {
    hook = await WebhookDouble.start();
  });
  after(() => hook.close());

  async function post(body: string | Buffer, headers: Record<string, string>, path = '/events', signal?: AbortSignal): Promise<Response> {
    return fetch(`${hook.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal });
  }

  it('accepts a signed JSON array, NDJSON, and OTLP JSON on /v1/logs', async () => {
    const events = [anAuditEvent(), anAuditEvent()];
    const ids = events.map((e) => e.id);
    const array = new NativeMapper().encodeBatch(events);
    assert.equal((await post(array, signed(hook.secret, array))).status, 200);
    const ndjson = new EcsMapper(undefined, 'ndjson').encodeBatch(events);
    assert.equal((await post(ndjson, { ...signed(hook.secret, ndjson), 'content-type': 'application/x-ndjson' })).status, 200);
    const otlp = new OtlpMapper().encodeBatch(events);
    const res = await post(otlp, signed(hook.secret, otlp), '/v1/logs');
    assert.deepEqual([res.status, await res.json()], [200, {}]);
    assert.deepEqual(hook.eventIds().slice(-6), [...ids, ...ids, ...ids]);
    assert.equal(hook.lastRequest()?.path, '/v1/logs');
  });

  it('rejects OTLP that breaks the JSON encoding rules', async () => {
    const request = new OtlpMapper().toRequest([anAuditEvent()]);
    const record = request.resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
    assert.ok(record);
    const broken = JSON.stringify({ ...request, resourceLogs: [{ scopeLogs: [{ logRecords: [{ ...record, timeUnixNano: 1 }] }] }] });
    const res = await post(broken, signed(hook.secret, broken), '/v1/logs');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /timeUnixNano: must be a decimal string/);
  });

  it('rejects missing, wrong and replayed signatures with 401', async () => {
    const body = new NativeMapper().encodeBatch([anAuditEvent()]);
    const count = hook.events().length;
    assert.equal((await post(body, {})).status, 401);
    assert.equal((await post(body, signed('other-secret', body))).status, 401);
    assert.equal((await post(`${body} `, signed(hook.secret, body))).status, 401, 'body changed after signing');
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
    const res = await post(body, signed(hook.secret, body, sixMinutesAgo));
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: string }).error, /replayed/);
    assert.equal(hook.events().length, count);
  });

  it('verifies a gzip body over its decompressed text and refuses unknown media types', async () => {
    const body = new NativeMapper().encodeBatch([anAuditEvent()]);
    assert.equal((await post(gzipSync(body), { ...signed(hook.secret, body), 'content-encoding': 'gzip' })).status, 200);
    assert.equal((await post(body, { ...signed(hook.secret, body), 'content-type': 'text/plain' })).status, 415);
  });

  it('fails on demand: 429 with Retry-After, 500, a dropped connection, no answer', async () => {
    const body = new NativeMapper().encodeBatch([anAuditEvent()]);
    hook.failNext(1, 429, 7);
    hook.failNext(1, 500);
    hook.failNext(1, 'reset');
    hook.failNext(1, 'timeout');
    const throttled = await post(body, signed(hook.secret, body));
    assert.deepEqual([throttled.status, throttled.headers.get('retry-after')], [429, '7']);
    assert.equal((await post(body, signed(hook.secret, body))).status, 500);
    await assert.rejects(post(body, signed(hook.secret, body)));
    await assert.rejects(post(body, signed(hook.secret, body), '/events', AbortSignal.timeout(200)), { name: 'TimeoutError' });
    assert.equal((await post(body, signed(hook.secret, body))).status, 200);
  });
});
