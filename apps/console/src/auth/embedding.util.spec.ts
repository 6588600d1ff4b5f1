import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialOnArrival, EXPIRY_WARNING_MS, expiryWarningIn, isViewerToken, tokenOf } from './embedding.util.ts';

describe('console embedding', () => {
  it('takes a token only from a well-formed viewer-token message', () => {
    assert.equal(tokenOf({ type: 'vigil:viewer-token', token: ' aaa.bbb.ccc ' }), 'aaa.bbb.ccc');
    assert.equal(tokenOf({ type: 'vigil:viewer-token', token: 'not a jws' }), null);
    assert.equal(tokenOf({ type: 'vigil:viewer-token', token: `a.b.${'c'.repeat(5000)}` }), null);
    assert.equal(tokenOf({ type: 'other', token: 'aaa.bbb.ccc' }), null);
    assert.equal(tokenOf({ type: 'vigil:viewer-token', token: 42 }), null);
    assert.equal(tokenOf('vigil:viewer-token'), null);
    assert.equal(tokenOf(null), null);
  });

  it('warns the parent a minute before the token expires', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    assert.equal(expiryWarningIn('2026-11-27T12:10:00Z', now), 10 * 60_000 - EXPIRY_WARNING_MS);
    assert.equal(expiryWarningIn('2026-11-27T12:00:30Z', now), 0);
    assert.equal(expiryWarningIn(null, now), null);
    assert.equal(expiryWarningIn('soon', now), null);
  });
});

describe('viewer tokens by their header', () => {
  const jws = (header: object): string => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.c2ln`;

  it('tells a viewer token from an API key or another JWT', () => {
    assert.equal(isViewerToken(jws({ alg: 'HS256', typ: 'vigil-viewer+jwt' })), true);
    assert.equal(isViewerToken(jws({ alg: 'RS256', typ: 'JWT' })), false);
    assert.equal(isViewerToken(jws({ alg: 'HS256' })), false);
    assert.equal(isViewerToken('vigil_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), false);
    assert.equal(isViewerToken('%%%.e30.c2ln'), false);
    assert.equal(isViewerToken(''), false);
  });

  it('takes a viewer token from the address over no session or a viewer’s, never over an analyst’s own credential', () => {
    const jws = (header: object): string => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.c2ln`;
    const viewer = jws({ alg: 'HS256', typ: 'vigil-viewer+jwt' });
    const otherViewer = jws({ alg: 'HS256', typ: 'vigil-viewer+jwt', kid: 'x' });
    const analystKey = 'vigil_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const idpJwt = jws({ alg: 'RS256', typ: 'JWT' });
    assert.deepEqual(credentialOnArrival(viewer, null), { credential: viewer, save: true, ignored: null });
    assert.deepEqual(credentialOnArrival(viewer, otherViewer), { credential: viewer, save: true, ignored: null });
    for (const own of [analystKey, idpJwt]) {
      const kept = credentialOnArrival(viewer, own);
      assert.equal(kept.credential, own);
      assert.equal(kept.save, false);
      assert.match(kept.ignored ?? '', /still signed in with your own credential/);
    }
    assert.deepEqual(credentialOnArrival(analystKey, null).credential, null);
    assert.equal(credentialOnArrival(analystKey, null).save, false);
  });
});
