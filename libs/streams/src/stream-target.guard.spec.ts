import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStreamTarget, checkStreamTargets, guardedLookup } from './stream-target.guard';

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

  it('accepts a public address, and anything when private targets are allowed', async () => {
    await checkStreamTarget('https://8.8.8.8/', false);
    await checkStreamTarget('https://127.0.0.1:5432/', true);
  });
});
