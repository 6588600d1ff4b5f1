import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkStreamTarget,
  checkStreamTargets,
  connectionAddresses,
  guardedLookup,
  SAVE_LOOKUPS,
  SaveTimeLookup,
  type DnsResolver,
  type LookupAll,
} from './stream-target.guard';

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

  it('resolves a connection’s name through c-ares: a name server that does not answer fails it, no thread waits', async () => {
    const timedOut = Object.assign(new Error('queryA ETIMEOUT'), { code: 'ETIMEOUT' });
    const silent: DnsResolver = { resolve4: () => Promise.reject(timedOut), resolve6: () => Promise.reject(timedOut) };
    // localhost would resolve through the system's lookup: a timeout must not fall back to it.
    await assert.rejects(connectionAddresses('localhost', silent), (err: NodeJS.ErrnoException) => err.code === 'ETIMEOUT');
    const lookup = guardedLookup(false, silent);
    assert.ok(lookup !== undefined);
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('siem.example', {}, (err) => resolve(err)));
    assert.equal(error?.code, 'ETIMEOUT');
  });

  it('falls back to the system’s lookup for a name DNS does not know, and refuses what either finds private', async () => {
    const unknown = Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
    const none: DnsResolver = { resolve4: () => Promise.reject(unknown), resolve6: () => Promise.reject(unknown) };
    const found = await connectionAddresses('localhost', none);
    assert.ok(
      found.some((a) => a.address === '127.0.0.1' || a.address === '::1'),
      JSON.stringify(found),
    );
    const rebound: DnsResolver = { resolve4: () => Promise.resolve(['8.8.8.8', '10.0.0.5']), resolve6: () => Promise.reject(unknown) };
    const refused = await new Promise<Error | null>((resolve) =>
      guardedLookup(false, rebound)?.('siem.example', { all: true }, (err) => resolve(err)),
    );
    assert.match(refused?.message ?? '', /siem\.example resolves to 10\.0\.0\.5 \(private\)/);
    const both: DnsResolver = { resolve4: () => Promise.resolve(['8.8.8.8']), resolve6: () => Promise.resolve(['2001:4860:4860::8888']) };
    const all = await new Promise<unknown>((resolve) =>
      guardedLookup(false, both)?.('siem.example', { all: true }, (_err, addresses) => resolve(addresses)),
    );
    assert.deepEqual(all, [
      { address: '8.8.8.8', family: 4 },
      { address: '2001:4860:4860::8888', family: 6 },
    ]);
    const one = await new Promise<unknown[]>((resolve) =>
      guardedLookup(false, both)?.('siem.example', { family: 6 }, (_err, address, family) => resolve([address, family])),
    );
    assert.deepEqual(one, ['2001:4860:4860::8888', 6]);
  });

  it('accepts a public address, and anything when private targets are allowed', async () => {
    await checkStreamTarget('https://8.8.8.8/', false);
    await checkStreamTarget('https://127.0.0.1:5432/', true);
  });
});
