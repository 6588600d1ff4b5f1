import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { StreamErrorCode, StreamException } from './stream.exception';

/** A stream's secrets in clear: field name (e.g. `token`, `headers.Authorization`) → value. Never logged or returned. */
export type StreamSecrets = Readonly<Record<string, string>>;

interface Key {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Development only: used when VIGIL_STREAM_SECRET_KEYS is unset, with a warning at start. */
const DEVELOPMENT_KEYS = 'dev:dmlnaWwtZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=';

/**
 * `VIGIL_STREAM_SECRET_KEYS`: `id:base64key[,id:base64key...]`, each key 32 bytes. The first key seals new and
 * changed secrets; every listed key opens. Rotation: put the new key first, keep the old one after it, run
 * `vigil streams reseal`, then drop the old key (docs/streams.md).
 */
export const streamSecretEnv = {
  VIGIL_STREAM_SECRET_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseKeys(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
};

function parseKeys(value: string): Key[] {
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf(':');
      const id = part.slice(0, at);
      if (at < 1 || !KEY_ID.test(id)) throw new Error('each key must be written id:base64 with an id of letters, digits, _ or -');
      const key = Buffer.from(part.slice(at + 1), 'base64');
      // The value is a secret: the message names the key's id, never its bytes.
      if (key.length !== 32) throw new Error(`key ${id} must be 32 bytes in base64 (openssl rand -base64 32), not ${key.length}`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('must list at least one key');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

/** A sealed value as stored: which key sealed it, then IV ‖ GCM tag ‖ ciphertext. */
export interface SealedSecrets {
  keyId: string;
  sealed: Buffer;
}

/**
 * AES-256-GCM over a stream's secrets, with the stream's id as additional data: a sealed value copied onto another
 * stream's row does not open. Keys come from the environment only.
 */
export class StreamSecretCipher {
  private readonly keys: Key[];

  constructor(keysEnv: string | undefined) {
    this.keys = parseKeys(keysEnv ?? DEVELOPMENT_KEYS);
    this.usingDevelopmentKey = keysEnv === undefined;
  }

  /** True when no key was configured and the built-in development key is used. */
  readonly usingDevelopmentKey: boolean;

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(streamId: string, secrets: StreamSecrets): SealedSecrets {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(streamId));
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return { keyId: id, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  open(streamId: string, { keyId, sealed }: SealedSecrets): StreamSecrets {
    const key = this.keys.find((k) => k.id === keyId);
    if (key === undefined)
      throw new StreamException(
        StreamErrorCode.SECRET_KEY_MISSING,
        `the secrets of stream ${streamId} are sealed with key ${keyId}, which VIGIL_STREAM_SECRET_KEYS no longer lists`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(streamId));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as StreamSecrets;
    } catch {
      throw new StreamException(
        StreamErrorCode.SECRET_UNREADABLE,
        `the secrets of stream ${streamId} do not open with key ${keyId}: the key changed or the row was altered`,
      );
    }
  }

  private get current(): Key {
    const key = this.keys[0];
    if (key === undefined) throw new Error('no key'); // parseKeys never returns an empty list
    return key;
  }
}
