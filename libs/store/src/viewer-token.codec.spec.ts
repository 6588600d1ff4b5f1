import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { loadConfig, defineConfig, ConfigException } from '@vigil/config';
import {
  isViewerToken,
  VIEWER_TOKEN_AUDIENCE,
  VIEWER_TOKEN_ISSUER,
  VIEWER_TOKEN_TYPE,
  viewerGrantProblems,
  ViewerTokenCodec,
  viewerTokenEnv,
} from './viewer-token.codec';

const FIRST = 'viewer-codec-spec-secret-one-0123456789';
const SECOND = 'viewer-codec-spec-secret-two-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

/** A token signed directly, each part overridable: what an attacker (or a bug) could produce. */
function forge(
  claims: JWTPayload,
  options: {
    secret?: string;
    typ?: string | null;
    issuer?: string;
    audience?: string;
    iat?: number;
    exp?: number;
    jti?: string | null;
  } = {},
): Promise<string> {
  const iat = options.iat ?? Math.floor(NOW.getTime() / 1000);
  const jwt = new SignJWT({ sub: 'tenant-a', tenant: 'tenant-a', ...claims })
    .setProtectedHeader(options.typ === null ? { alg: 'HS256' } : { alg: 'HS256', typ: options.typ ?? VIEWER_TOKEN_TYPE })
    .setIssuer(options.issuer ?? VIEWER_TOKEN_ISSUER)
    .setAudience(options.audience ?? VIEWER_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(options.exp ?? iat + 900);
  if (options.jti !== null) jwt.setJti(options.jti ?? 'jti-1');
  return jwt.sign(new TextEncoder().encode(options.secret ?? FIRST));
}

describe(ViewerTokenCodec.name, () => {
  const codec = new ViewerTokenCodec([FIRST, SECOND], 3600);

  it('signs a token that verifies to the same grant, with the typ header and the fixed iss and aud', async () => {
    const grant = { tenantId: 'tenant-a', restriction: { actorId: 'user-7', target: { type: 'document', id: 'doc-1' } } };
    const { token, claims } = await codec.sign(grant, 900, NOW);
    assert.equal(decodeProtectedHeader(token).typ, VIEWER_TOKEN_TYPE);
    assert.equal(isViewerToken(token), true);
    assert.deepEqual(claims.restriction, grant.restriction);
    assert.equal(claims.expiresAt.toISOString(), '2026-03-01T12:15:00.000Z');
    const verified = await codec.verify(token, later(60));
    assert.deepEqual(verified, claims);
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as JWTPayload;
    assert.equal(payload.iss, 'vigil-query-api');
    assert.equal(payload.aud, 'vigil-console');
    assert.equal(payload.sub, 'tenant-a');
    assert.deepEqual(payload['tgt'], { type: 'document', id: 'doc-1' });
    assert.equal(payload['act'], 'user-7');
    assert.notEqual((await codec.sign(grant, 900, NOW)).claims.jti, claims.jti, 'a random jti per token');
  });

  it('verifies a token signed with the second secret (rotation), and refuses one signed with neither', async () => {
    const oldCodec = new ViewerTokenCodec([SECOND], 3600);
    const { token } = await oldCodec.sign({ tenantId: 'tenant-a', restriction: {} }, 600, NOW);
    assert.equal((await codec.verify(token, NOW))?.tenantId, 'tenant-a');
    const other = new ViewerTokenCodec(['viewer-codec-spec-another-secret-0123456789'], 3600);
    assert.equal(await other.verify(token, NOW), undefined);
    // The new secret signs: a codec that only knows the old one refuses the new tokens.
    const { token: fresh } = await codec.sign({ tenantId: 'tenant-a', restriction: {} }, 600, NOW);
    assert.equal(await oldCodec.verify(fresh, NOW), undefined);
  });

  it('refuses an expired token, and one with a changed claim', async () => {
    const { token } = await codec.sign({ tenantId: 'tenant-a', restriction: { actorId: 'user-7' } }, 60, NOW);
    assert.ok(await codec.verify(token, later(59)));
    assert.equal(await codec.verify(token, later(60)), undefined);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as JWTPayload;
    const edited = Buffer.from(JSON.stringify({ ...claims, act: 'user-8' })).toString('base64url');
    assert.equal(await codec.verify(`${header}.${edited}.${signature}`, NOW), undefined);
  });

  it('requires the typ header: a JWT signed with the secret but without it (or with another) is refused', async () => {
    assert.ok(await codec.verify(await forge({}), NOW), 'the forged token is otherwise valid');
    const untyped = await forge({}, { typ: null });
    assert.equal(isViewerToken(untyped), false);
    assert.equal(await codec.verify(untyped, NOW), undefined);
    assert.equal(await codec.verify(await forge({}, { typ: 'JWT' }), NOW), undefined);
  });

  it('refuses another issuer or audience, a missing jti, sub other than the tenant, malformed restrictions, an over-long life', async () => {
    for (const token of [
      await forge({}, { issuer: 'https://idp.example' }),
      await forge({}, { audience: 'vigil-query-api' }),
      await forge({}, { jti: null }),
      await forge({ sub: 'tenant-b' }),
      await forge({ act: 42 }),
      await forge({ act: '' }),
      await forge({ tgt: { type: 'document' } }),
      await forge({ tgt: { type: 'document', id: 'd', extra: 1 } }),
      await forge({ tenant: 'x'.repeat(257), sub: 'x'.repeat(257) }),
      await forge({}, { exp: Math.floor(NOW.getTime() / 1000) + 3601 }),
      'not-a-token',
    ]) {
      assert.equal(await codec.verify(token, NOW), undefined, token);
    }
  });

  it('refuses to sign out-of-bounds grants and lifetimes', async () => {
    await assert.rejects(codec.sign({ tenantId: 'tenant-a', restriction: {} }, 59, NOW), /ttlSeconds/);
    await assert.rejects(codec.sign({ tenantId: 'tenant-a', restriction: {} }, 3601, NOW), /ttlSeconds/);
    await assert.rejects(codec.sign({ tenantId: 'tenant\u0000a', restriction: {} }, 600, NOW), /tenantId/);
    assert.throws(() => new ViewerTokenCodec(['short'], 3600), /32 characters/);
  });
});

describe(viewerGrantProblems.name, () => {
  it('names each bad field: length, control characters, a target half, the lifetime', () => {
    const fields = (problems: { field: string }[]) => problems.map((p) => p.field);
    assert.deepEqual(viewerGrantProblems({ tenantId: 't' }, 900, 3600), []);
    assert.deepEqual(fields(viewerGrantProblems({ tenantId: 'x'.repeat(257) }, 900, 3600)), ['tenantId']);
    assert.deepEqual(viewerGrantProblems({ tenantId: 'x'.repeat(256) }, 900, 3600), []);
    assert.deepEqual(fields(viewerGrantProblems({ tenantId: 't', actorId: 'a\u007f' }, 900, 3600)), ['actorId']);
    assert.deepEqual(fields(viewerGrantProblems({ tenantId: 't', targetType: 'doc' }, 900, 3600)), ['targetId']);
    assert.deepEqual(fields(viewerGrantProblems({ tenantId: 't', targetId: 'd' }, 900, 3600)), ['targetType']);
    assert.deepEqual(fields(viewerGrantProblems({ tenantId: 't' }, 90.5, 3600)), ['ttlSeconds']);
  });
});

describe('viewer token environment', () => {
  const schema = defineConfig(viewerTokenEnv);
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(schema, env);
      return [];
    } catch (err) {
      if (err instanceof ConfigException) return [...err.problems];
      throw err;
    }
  };

  it('reads a comma-separated list of secrets of at least 32 characters each', () => {
    assert.deepEqual(loadConfig(schema, { QUERY_API_VIEWER_TOKEN_SECRET: ` ${FIRST} , ${SECOND} ` }).QUERY_API_VIEWER_TOKEN_SECRET, [
      FIRST,
      SECOND,
    ]);
    assert.equal(loadConfig(schema, {}).QUERY_API_VIEWER_TOKEN_SECRET, undefined);
    assert.equal(loadConfig(schema, {}).QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS, 3600);
    assert.match(
      problems({ QUERY_API_VIEWER_TOKEN_SECRET: `${FIRST},too-short` })[0] ?? '',
      /^QUERY_API_VIEWER_TOKEN_SECRET.*32 characters/,
    );
    assert.match(problems({ QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS: '59' })[0] ?? '', /^QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS/);
  });
});
