import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseSigningKeys, signCheckpoint, verifyCheckpoint, type Checkpoint } from './checkpoint.codec';

function keyEntry(id: string): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return `${id}:${privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
}

const checkpoint: Checkpoint = {
  tenantId: 'acme',
  category: 'authentication',
  seq: 41,
  hash: 'ab'.repeat(32),
  at: '2026-11-27T00:00:00.000Z',
};

describe('signed checkpoints', () => {
  it('verify with the public key of the key that signed them, and fail after any change or under another key', () => {
    const [k1, k2] = parseSigningKeys(`${keyEntry('k2026')},${keyEntry('k2025')}`);
    assert.ok(k1 !== undefined && k2 !== undefined);
    const signed = signCheckpoint(checkpoint, k1);
    const keys = new Map([
      [k1.id, k1.publicKey],
      [k2.id, k2.publicKey],
    ]);
    assert.equal(signed.keyId, 'k2026');
    assert.equal(verifyCheckpoint(signed, keys), true);
    assert.equal(verifyCheckpoint({ ...signed, seq: 40 }, keys), false);
    assert.equal(verifyCheckpoint({ ...signed, keyId: 'k2025' }, keys), false);
    assert.equal(verifyCheckpoint(signed, new Map()), false, 'an unknown key verifies nothing');
  });

  it('sign a retention anchor with its kind: a signed head does not verify as an anchor, nor an anchor as a head', () => {
    const [key] = parseSigningKeys(keyEntry('k1'));
    assert.ok(key !== undefined);
    const keys = new Map([[key.id, key.publicKey]]);
    const anchor = signCheckpoint(checkpoint, key, 'retention');
    const head = signCheckpoint(checkpoint, key);
    assert.equal(verifyCheckpoint(anchor, keys, 'retention'), true);
    // A head copied into the table as an anchor would move the walk's start past every event before it.
    assert.equal(verifyCheckpoint(head, keys, 'retention'), false);
    assert.equal(verifyCheckpoint(anchor, keys), false);
    assert.equal(verifyCheckpoint(head, keys), true, "a head's signature is the one SIEMs already hold copies of");
  });

  it('refuses keys it cannot use, naming the entry', () => {
    assert.throws(() => parseSigningKeys('nokey'), /signing key entry 1 has no valid id: entries are id:base64/);
    assert.throws(() => parseSigningKeys('k1:bm90IGEga2V5'), /signing key k1 is not a base64 PKCS#8 DER private key/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(
      () => parseSigningKeys(`k2:${privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`),
      /signing key k2 is an ec key; checkpoints are signed with Ed25519/,
    );
  });
});
