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

/**
 * `signed`: a chain's head, taken on the checkpoint interval. `retention`: the anchor a dropped day leaves, where the
 * walk of the whole chain starts (docs/integrity.md, "Retention").
 */
export type CheckpointKind = 'signed' | 'retention';

function payload(checkpoint: Checkpoint, kind: CheckpointKind): Buffer {
  const { tenantId, category, seq, hash, at } = checkpoint;
  // An anchor's signature covers its kind: a signed head copied into the table as an anchor (the walk would start
  // there, past every event before it) does not verify. A head's payload stays as it was, for the copies SIEMs hold.
  const body = kind === 'retention' ? { tenantId, category, seq, hash, at, kind } : { tenantId, category, seq, hash, at };
  return Buffer.from(canonicalize(body) ?? '', 'utf8');
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

export function signCheckpoint(checkpoint: Checkpoint, key: SigningKey, kind: CheckpointKind = 'signed'): SignedCheckpoint {
  return { ...checkpoint, keyId: key.id, signature: sign(null, payload(checkpoint, kind), key.privateKey).toString('base64') };
}

/**
 * True when the checkpoint was signed, as a checkpoint of this kind, by the key of its `keyId` among `publicKeys` and
 * nothing in it changed since.
 */
export function verifyCheckpoint(
  checkpoint: SignedCheckpoint,
  publicKeys: ReadonlyMap<string, KeyObject>,
  kind: CheckpointKind = 'signed',
): boolean {
  const key = publicKeys.get(checkpoint.keyId);
  if (key === undefined) return false;
  return verify(null, payload(checkpoint, kind), key, Buffer.from(checkpoint.signature, 'base64'));
}

/** The public keys as the query API serves them and `vigil verify --public-keys` reads them. */
export interface PublicKeysDocument {
  keys: { id: string; algorithm: 'Ed25519'; publicKey: string; active: boolean }[];
}

/** The document of the signing keys' public halves (base64 SPKI DER); the first key is the one that signs. */
export function publicKeysDocument(keys: readonly SigningKey[]): PublicKeysDocument {
  return {
    keys: keys.map((k, i) => ({
      id: k.id,
      algorithm: 'Ed25519' as const,
      publicKey: k.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      active: i === 0,
    })),
  };
}

/** Public keys by id from a `PublicKeysDocument` (JSON text); throws naming what is wrong. */
export function parsePublicKeys(text: string): Map<string, KeyObject> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(
      'the public keys are not JSON: expected {"keys":[{"id":"...","publicKey":"<base64 SPKI>"}]} as GET /v1/integrity/keys answers',
    );
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Error('the public keys document has no "keys" array');
  const result = new Map<string, KeyObject>();
  for (const [i, entry] of keys.entries()) {
    const { id, publicKey } = (entry ?? {}) as { id?: unknown; publicKey?: unknown };
    if (typeof id !== 'string' || typeof publicKey !== 'string') throw new Error(`public key ${i + 1} needs a string id and publicKey`);
    try {
      const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
      result.set(id, key);
    } catch {
      throw new Error(`public key ${id} is not a base64 SPKI DER Ed25519 key`);
    }
  }
  return result;
}
