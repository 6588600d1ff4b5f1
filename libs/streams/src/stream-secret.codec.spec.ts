import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { StreamSecretCipher, streamSecretEnv } from './stream-secret.codec';
import { StreamErrorCode, StreamException } from './stream.exception';

const key = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;
const STREAM = '01a21a86-b65f-706e-8cef-bb860f045608';

describe('StreamSecretCipher', () => {
  it('seals with the first key and opens what it sealed, never holding the clear text', () => {
    const cipher = new StreamSecretCipher([key('k1'), key('k0')].join(','));
    const sealed = cipher.seal(STREAM, { token: 'splunk-hec-token-1234' });
    assert.equal(sealed.keyId, 'k1');
    assert.ok(!sealed.sealed.includes(Buffer.from('splunk-hec-token-1234')));
    assert.deepEqual(cipher.open(STREAM, sealed), { token: 'splunk-hec-token-1234' });
  });

  it('opens secrets sealed with an older key while it is listed (rotation), and names the missing key after', () => {
    const [oldKey, newKey] = [key('old'), key('new')];
    const sealed = new StreamSecretCipher(oldKey).seal(STREAM, { token: 't' });
    const rotating = new StreamSecretCipher(`${newKey},${oldKey}`);
    const resealed = rotating.seal(STREAM, rotating.open(STREAM, sealed));
    assert.equal(resealed.keyId, 'new');
    assert.deepEqual(new StreamSecretCipher(newKey).open(STREAM, resealed), { token: 't' });
    assert.throws(
      () => new StreamSecretCipher(newKey).open(STREAM, sealed),
      (err: unknown) => err instanceof StreamException && err.code === StreamErrorCode.SECRET_KEY_MISSING && /key old/.test(err.message),
    );
  });

  it("binds the sealed value to its stream: another stream's row does not open with it, nor an altered one", () => {
    const cipher = new StreamSecretCipher(key('k'));
    const sealed = cipher.seal(STREAM, { token: 't' });
    const other = '01a21a86-0000-7000-8000-000000000000';
    assert.throws(
      () => cipher.open(other, sealed),
      (err: unknown) => err instanceof StreamException && err.code === StreamErrorCode.SECRET_UNREADABLE,
    );
    const altered = Buffer.from(sealed.sealed);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    assert.throws(() => cipher.open(STREAM, { keyId: 'k', sealed: altered }), /do not open/);
  });

  it('validates VIGIL_STREAM_SECRET_KEYS without ever echoing a key', () => {
    const short = `k:${Buffer.from('too short').toString('base64')}`;
    const result = streamSecretEnv.VIGIL_STREAM_SECRET_KEYS.safeParse(short);
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? '', /key k must be 32 bytes/);
    assert.doesNotMatch(JSON.stringify(result.error?.issues), /dG9vIHNob3J0/);
    assert.equal(streamSecretEnv.VIGIL_STREAM_SECRET_KEYS.safeParse(`${key('a')},${key('a')}`).success, false);
    assert.equal(new StreamSecretCipher(undefined).usingDevelopmentKey, true);
  });
});
