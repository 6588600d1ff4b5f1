import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

// Signed checkpoints (docs/integrity.md): a chain's head (tenant, category, sequence number, link, time) signed with
// Ed25519. The signature covers the checkpoint's RFC 8785 canonical JSON without its signature, so anyone holding the
// public key verifies a checkpoint from any copy of it.

export interface Checkpoint {
  tenantId: string;
  category: string;
  seq: number;
  hash: string;
  /** When the head was taken, ISO 8601. */
  at: string;
}

export interface SignedCheckpoint extends Checkpoint {
  keyId: string;
  /** Ed25519 signature of the canonical checkpoint, base64. */
  signature: string;
}

export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function payload(checkpoint: Checkpoint): Buffer {
  const { tenantId, category, seq, hash, at } = checkpoint;
  return Buffer.from(canonicalize({ tenantId, category, seq, hash, at }) ?? '', 'utf8');
}

/**
 * The signing keys from `VIGIL_CHAIN_SIGNING_KEYS`: `id:base64,...`, each a PKCS#8 DER Ed25519 private key. The first
 * signs; the others stay listed so their public keys are still served after a rotation. Throws naming the bad entry.
 */
export function parseSigningKeys(value: string): SigningKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, index) => {
      const at = entry.indexOf(':');
      const id = at > 0 ? entry.slice(0, at) : '';
      // Never any characters of an entry without a valid id in the message: they may be the key itself.
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`signing key entry ${index + 1} has no valid id: entries are id:base64`);
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: Buffer.from(entry.slice(at + 1), 'base64'), format: 'der', type: 'pkcs8' });
      } catch {
        throw new Error(`signing key ${id} is not a base64 PKCS#8 DER private key`);
      }
      if (privateKey.asymmetricKeyType !== 'ed25519')
        throw new Error(`signing key ${id} is an ${privateKey.asymmetricKeyType ?? 'unknown'} key; checkpoints are signed with Ed25519`);
      return { id, privateKey, publicKey: createPublicKey(privateKey) };
    });
}

export function signCheckpoint(checkpoint: Checkpoint, key: SigningKey): SignedCheckpoint {
  return { ...checkpoint, keyId: key.id, signature: sign(null, payload(checkpoint), key.privateKey).toString('base64') };
}

/** True when the checkpoint was signed by the key of its `keyId` among `publicKeys` and nothing in it changed since. */
export function verifyCheckpoint(checkpoint: SignedCheckpoint, publicKeys: ReadonlyMap<string, KeyObject>): boolean {
  const key = publicKeys.get(checkpoint.keyId);
  if (key === undefined) return false;
  return verify(null, payload(checkpoint), key, Buffer.from(checkpoint.signature, 'base64'));
}
