import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStreamTarget, checkStreamTargets, guardedLookup, SAVE_LOOKUPS, SaveTimeLookup, type LookupAll } from './stream-target.guard';

describe('checkStreamTarget', () => {
  for (const url of [
    'https://127.0.0.1:5432/',
    'https://[::1]/',
    'https://10.1.2.3/',
    'https://192.168.0.10/',
    'https://169.254.169.254/latest/meta-data',
    'https://[::ffff:127.0.0.1]/',
    'https://0.0.0.0/',
  ])
    it(`refuses ${url}`, async () => {
      await assert.rejects(checkStreamTarget(url, false), /streams may only send to public addresses/);
    });

  it('refuses a name that resolves to a private address at connection time (DNS rebinding)', async () => {
    const lookup = guardedLookup(false);
    assert.ok(lookup !== undefined);
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (err: Error | null) => resolve(err)));
    assert.match(error?.message ?? '', /localhost resolves to .* \(loopback\); streams may only send to public addresses/);
    assert.equal(guardedLookup(true), undefined);
  });

  it('checks Sentinel’s endpoint and authority host as well as a url', async () => {
    await assert.rejects(
      checkStreamTargets({ endpoint: 'https://8.8.8.8', authorityHost: 'https://169.254.169.254' }, false),
      /169\.254\.169\.254 \(linkLocal\)/,
    );
  });

  it('bounds save-time lookups: a name server that never answers leaves the name unchecked, and holds at most `concurrency` of them', async () => {
    const never: LookupAll = () => new Promise(() => undefined);
    const bounded = new SaveTimeLookup({ concurrency: 2, timeoutMs: 100 }, never);
    const started = Date.now();
    const results = await Promise.all([bounded.resolve('a.example'), bounded.resolve('b.example'), bounded.resolve('c.example')]);
    assert.deepEqual(results, [undefined, undefined, undefined]);
    assert.ok(Date.now() - started < 1_000, 'given up on after the timeout');
    // The two lookups given up on still hold their threads: a new one is not made at all.
    let asked = 0;
    const counting = new SaveTimeLookup({ concurrency: 1, timeoutMs: 100 }, (host) => {
      asked++;
      return never(host);
    });
    await counting.resolve('a.example');
    await counting.resolve('b.example');
    assert.equal(asked, 1);
    // A stream saved meanwhile is accepted, to be checked at connection time.
    await checkStreamTarget('https://stalls.example/', false, bounded.resolve);
    // A lookup that answers is used.
    const answering = new SaveTimeLookup(SAVE_LOOKUPS, () => Promise.resolve(['10.0.0.7']));
    await assert.rejects(checkStreamTarget('https://internal.example/', false, answering.resolve), /10\.0\.0\.7 \(private\)/);
  });

  it('accepts a public address, and anything when private targets are allowed', async () => {
    await checkStreamTarget('https://8.8.8.8/', false);
    await checkStreamTarget('https://127.0.0.1:5432/', true);
  });
});
