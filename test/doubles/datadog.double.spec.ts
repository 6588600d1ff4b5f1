import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatadogDouble } from './datadog.double';

describe(DatadogDouble.name, () => {
  let dd: DatadogDouble;
  before(async () => {
    dd = await DatadogDouble.start();
  });
  after(() => dd.close());

  const post = (body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
    fetch(dd.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('accepts an array with the API key, gzipped or not, with 202', async () => {
    const body = JSON.stringify([
      { message: 'a', evt: { id: '1' } },
      { message: 'b', evt: { id: '2' } },
    ]);
    assert.equal((await post(body, { 'DD-API-KEY': dd.apiKey })).status, 202);
    assert.equal((await post(gzipSync(body), { 'DD-API-KEY': dd.apiKey, 'content-encoding': 'gzip' })).status, 202);
    assert.deepEqual(dd.eventIds().slice(-4), ['1', '2', '1', '2']);
  });

  it('enforces the contract: 403 without the key, 400 past 1,000 entries or on bad JSON, 413 past 5 MB', async () => {
    assert.equal((await post('[]', { 'DD-API-KEY': 'wrong' })).status, 403);
    assert.equal(
      (await post(JSON.stringify(Array.from({ length: 1001 }, () => ({ message: 'x' }))), { 'DD-API-KEY': dd.apiKey })).status,
      400,
    );
    assert.equal((await post('[{"message": x}]', { 'DD-API-KEY': dd.apiKey })).status, 400);
    assert.equal((await post(JSON.stringify([{ message: 'x'.repeat(5_100_000) }]), { 'DD-API-KEY': dd.apiKey })).status, 413);
  });

  it('fails on demand, with Retry-After on 429', async () => {
    dd.failNext(1, 429, 7);
    const res = await post('[]', { 'DD-API-KEY': dd.apiKey });
    assert.deepEqual([res.status, res.headers.get('retry-after')], [429, '7']);
  });
});
