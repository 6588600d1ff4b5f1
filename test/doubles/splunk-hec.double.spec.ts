import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HecMapper } from '@vigil/formats';
import { anAuditEvent } from '@vigil/testing';
import { SplunkHecDouble } from './splunk-hec.double';

interface HecBody {
  text?: string;
  code?: number;
  ackId?: number;
  'invalid-event-number'?: number;
  acks?: Record<string, boolean>;
}

const mapper = new HecMapper();

async function send(
  hec: SplunkHecDouble,
  body: string | Buffer,
  headers: Record<string, string> = {},
  path = '/services/collector/event',
): Promise<{ status: number; body: HecBody }> {
  const res = await fetch(`${hec.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Splunk ${hec.currentToken}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as HecBody };
}

function batch(count: number): { body: string; ids: string[] } {
  const events = Array.from({ length: count }, () => anAuditEvent());
  return { body: mapper.encodeBatch(events), ids: events.map((e) => e.id) };
}

describe(SplunkHecDouble.name, () => {
  let hec: SplunkHecDouble;
  before(async () => {
    hec = await SplunkHecDouble.start({ maxContentLength: 50_000 });
  });
  after(() => hec.close());

  it('accepts a concatenated batch and keeps the parsed events', async () => {
    const { body, ids } = batch(3);
    assert.deepEqual(await send(hec, body), { status: 200, body: { text: 'Success', code: 0 } });
    assert.deepEqual(hec.eventIds().slice(-3), ids);
    assert.equal(typeof hec.events().at(-1)?.time, 'number');
  });

  it('answers missing, malformed and wrong tokens as Splunk does', async () => {
    const { body } = batch(1);
    const res = await fetch(`${hec.url}/services/collector/event`, { method: 'POST', body });
    assert.deepEqual([res.status, await res.json()], [401, { text: 'Token is required', code: 2 }]);
    assert.deepEqual(await send(hec, body, { authorization: `Bearer ${hec.currentToken}` }), {
      status: 401,
      body: { text: 'Invalid authorization', code: 3 },
    });
    assert.deepEqual(await send(hec, body, { authorization: 'Splunk wrong' }), { status: 403, body: { text: 'Invalid token', code: 4 } });
    const old = hec.currentToken;
    hec.setToken(randomUUID());
    assert.equal((await send(hec, body, { authorization: `Splunk ${old}` })).status, 403);
    assert.equal((await send(hec, body)).status, 200);
  });

  it('accepts gzip bodies', async () => {
    const { body, ids } = batch(2);
    assert.equal((await send(hec, gzipSync(body), { 'content-encoding': 'gzip' })).status, 200);
    assert.deepEqual(hec.eventIds().slice(-2), ids);
  });

  it('names the first invalid event and keeps the ones before it', async () => {
    const [first, second] = [anAuditEvent(), anAuditEvent()].map((e) => mapper.toRecord(e));
    assert.ok(first && second);
    const cases: [string, number][] = [
      [JSON.stringify({ ...second, event: undefined }), 12],
      [JSON.stringify({ ...second, event: '' }), 13],
      [JSON.stringify({ ...second, time: 1700000000123 }), 6],
      [JSON.stringify({ ...second, time: undefined }), 6],
      [JSON.stringify({ ...second, fields: { nested: { a: 1 } } }), 15],
      ['{"time": 1, "event": ', 6],
    ];
    for (const [bad, code] of cases) {
      const before = hec.events().length;
      const res = await send(hec, `${JSON.stringify(first)}\n${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, code, bad);
      assert.equal(res.body['invalid-event-number'], 1, bad);
      assert.equal(hec.events().length, before + 1, 'the event before the bad one is indexed');
    }
    assert.equal((await send(hec, JSON.stringify([first]))).body['invalid-event-number'], 0, 'a JSON array is not a HEC batch');
    assert.deepEqual((await send(hec, '  ')).body, { text: 'No data', code: 5 });
  });

  it('rejects a poisoned event on demand', async () => {
    const poisoned = anAuditEvent();
    hec.rejectEvents((e) => JSON.stringify(e.event).includes(poisoned.id));
    const res = await send(hec, mapper.encodeBatch([anAuditEvent(), anAuditEvent(), poisoned, anAuditEvent()]));
    hec.rejectEvents(() => false);
    assert.deepEqual([res.status, res.body.code, res.body['invalid-event-number']], [400, 6, 2]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const { body } = batch(60);
    assert.ok(body.length > 50_000);
    assert.equal((await send(hec, body)).status, 413);
  });

  it('reports health, and busy on both endpoints when told to', async () => {
    const health = async (): Promise<[number, unknown]> => {
      const res = await fetch(`${hec.url}/services/collector/health`);
      return [res.status, await res.json()];
    };
    assert.deepEqual(await health(), [200, { text: 'HEC is healthy', code: 17 }]);
    hec.setBusy(true);
    assert.deepEqual(await health(), [503, { text: 'HEC is unhealthy, queues are full', code: 18 }]);
    assert.deepEqual(await send(hec, batch(1).body), { status: 503, body: { text: 'Server is busy', code: 9 } });
    hec.setBusy(false);
    assert.equal((await health())[0], 200);
  });

  it('fails the next requests on demand: busy, a status, a dropped connection', async () => {
    const requests = hec.requests();
    hec.failNext(2, 'busy');
    hec.failNext(1, 500);
    hec.failNext(1, 'reset');
    const { body } = batch(1);
    assert.equal((await send(hec, body)).body.code, 9);
    assert.equal((await send(hec, body)).body.code, 9);
    assert.equal((await send(hec, body)).status, 500);
    await assert.rejects(send(hec, body));
    assert.equal((await send(hec, body)).status, 200);
    assert.equal(hec.requests() - requests, 5);
  });
});

describe(`${SplunkHecDouble.name} with indexer acknowledgement`, () => {
  let hec: SplunkHecDouble;
  before(async () => {
    hec = await SplunkHecDouble.start({ acks: true, ackDelayMs: 200 });
  });
  after(() => hec.close());

  it('requires a channel, returns ackIds per channel and acknowledges after the delay, once', async () => {
    const { body } = batch(2);
    assert.deepEqual(await send(hec, body), { status: 400, body: { text: 'Data channel is missing', code: 10 } });
    assert.equal((await send(hec, body, { 'x-splunk-request-channel': 'not-a-guid' })).body.code, 11);
    const channel = { 'x-splunk-request-channel': randomUUID() };
    assert.deepEqual(await send(hec, body, channel), { status: 200, body: { text: 'Success', code: 0, ackId: 0 } });
    assert.equal((await send(hec, body, channel)).body.ackId, 1);
    const query = (): Promise<{ status: number; body: HecBody }> =>
      send(hec, JSON.stringify({ acks: [0, 1, 7] }), channel, '/services/collector/ack');
    assert.deepEqual((await query()).body, { acks: { 0: false, 1: false, 7: false } });
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual((await query()).body, { acks: { 0: true, 1: true, 7: false } });
    assert.deepEqual((await query()).body, { acks: { 0: false, 1: false, 7: false } }, 'an ackId reported true is forgotten');
  });
});
