import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { Clock } from '@vigil/common';
import { ConfigException, loadConfig } from '@vigil/config';
import { QueryErrorCode, QueryException } from '../query.exception';
import { queryApiConfigSchema } from '../query-api.config';
import { JwtVerifier, type JwtVerifierConfig } from './jwt-verifier.service';
import { scopeFor } from './tenant-scope.factory';

const SECRET = 'jwt-verifier-spec-secret-0123456789abcdef';
const ISSUER = 'https://idp.example';
const AUDIENCE = 'vigil-query-api';

function verifier(overrides: Partial<JwtVerifierConfig> = {}): JwtVerifier {
  return new JwtVerifier(
    {
      QUERY_API_JWT_SECRET: SECRET,
      QUERY_API_JWT_ISSUER: ISSUER,
      QUERY_API_JWT_AUDIENCE: AUDIENCE,
      QUERY_API_JWT_TENANT_CLAIM: 'tenant',
      QUERY_API_JWT_ROLE_CLAIM: 'role',
      ...overrides,
    },
    new Clock(),
  );
}

interface TokenOptions {
  alg?: string;
  issuer?: string | null;
  audience?: string | null;
  exp?: string | null;
}

/** A token signed with SECRET; each standard claim can be changed or left out (null). */
function token(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setSubject('user-1');
  if (options.issuer !== null) jwt.setIssuer(options.issuer ?? ISSUER);
  if (options.audience !== null) jwt.setAudience(options.audience ?? AUDIENCE);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? '5m');
  return jwt.sign(new TextEncoder().encode(SECRET));
}

async function refusal(promise: Promise<unknown>): Promise<QueryErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof QueryException) return err.code;
    throw err;
  }
  assert.fail('the token was accepted');
}

const analyst = { tenant: 'tenant-a', role: 'analyst' };

describe(JwtVerifier.name, () => {
  it('accepts a token with exp, the configured iss and aud, and a pinned algorithm', async () => {
    const before = Date.now();
    const { expiresAt, ...principal } = await verifier().verify(await token(analyst));
    assert.deepEqual(principal, { tenantId: 'tenant-a', role: 'analyst', subject: `jwt:${ISSUER}/user-1`, credential: 'JWT' });
    // The token's exp, so a live connection can be ended when it passes.
    assert.ok(expiresAt && expiresAt.getTime() > before, String(expiresAt));
  });

  it('refuses a token without exp, one that has expired, and one without iss or aud', async () => {
    assert.equal(await refusal(verifier().verify(await token(analyst, { exp: null }))), QueryErrorCode.UNAUTHENTICATED);
    assert.equal(await refusal(verifier().verify(await token(analyst, { exp: '-1m' }))), QueryErrorCode.UNAUTHENTICATED);
    assert.equal(await refusal(verifier().verify(await token(analyst, { issuer: null }))), QueryErrorCode.UNAUTHENTICATED);
    assert.equal(await refusal(verifier().verify(await token(analyst, { audience: null }))), QueryErrorCode.UNAUTHENTICATED);
  });

  it('never accepts a viewer token (typ vigil-viewer+jwt), even one signed with its key, issuer and audience', async () => {
    const claims = { ...analyst, sub: 'tenant-a' };
    const typed = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'vigil-viewer+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    assert.equal(await refusal(verifier().verify(typed)), QueryErrorCode.UNAUTHENTICATED);
    const plain = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    assert.equal((await verifier().verify(plain)).tenantId, 'tenant-a', 'the same token with an ordinary typ is accepted');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    assert.equal(await refusal(verifier().verify(await token(analyst, { audience: 'another-service' }))), QueryErrorCode.UNAUTHENTICATED);
    assert.equal(
      await refusal(verifier().verify(await token(analyst, { issuer: 'https://evil.example' }))),
      QueryErrorCode.UNAUTHENTICATED,
    );
  });

  it('refuses an algorithm that is not pinned, even with the right key', async () => {
    assert.equal(await refusal(verifier().verify(await token(analyst, { alg: 'HS512' }))), QueryErrorCode.UNAUTHENTICATED);
    const pinned = verifier({ QUERY_API_JWT_ALGORITHMS: ['HS512'] });
    assert.equal((await pinned.verify(await token(analyst, { alg: 'HS512' }))).tenantId, 'tenant-a');
    assert.equal(await refusal(pinned.verify(await token(analyst))), QueryErrorCode.UNAUTHENTICATED);
    const { privateKey } = await generateKeyPair('ES256');
    const es = new SignJWT(analyst).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m');
    assert.equal(await refusal(verifier().verify(await es.sign(privateKey))), QueryErrorCode.UNAUTHENTICATED);
  });

  it("a tenant's admin cannot use allTenants; the platform-admin role can", async () => {
    const admin = await verifier().verify(await token({ tenant: 'tenant-a', role: 'admin' }));
    assert.equal(scopeFor(admin, false).tenantId, 'tenant-a');
    assert.throws(
      () => scopeFor(admin, true),
      (err: unknown) => err instanceof QueryException && err.code === QueryErrorCode.FORBIDDEN,
    );
    const platform = await verifier().verify(await token({ tenant: 'ops-team', role: 'platform-admin' }));
    assert.equal(scopeFor(platform, true).isAllTenants, true);
    assert.equal(scopeFor(platform, false).tenantId, 'ops-team', 'all tenants only when asked');
    assert.equal(await refusal(verifier().verify(await token({ tenant: 'tenant-a', role: 'root' }))), QueryErrorCode.UNAUTHENTICATED);
  });
});

describe('query API JWT settings', () => {
  const base = { VIGIL_API_KEY_PEPPER: 'spec-pepper-0123456789abcdef', QUERY_API_JWT_SECRET: SECRET };

  function problems(env: Record<string, string>): readonly string[] {
    try {
      loadConfig(queryApiConfigSchema, env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigException)) throw err;
      return err.problems;
    }
  }

  it('boot fails naming QUERY_API_JWT_ISSUER and QUERY_API_JWT_AUDIENCE when JWT auth is on without them', () => {
    const found = problems(base);
    assert.ok(
      found.some((p) => p.startsWith('QUERY_API_JWT_ISSUER: is required when QUERY_API_JWT_SECRET is set')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('QUERY_API_JWT_AUDIENCE: is required')),
      found.join('\n'),
    );
    assert.deepEqual(problems({ ...base, QUERY_API_JWT_ISSUER: ISSUER, QUERY_API_JWT_AUDIENCE: AUDIENCE }), []);
    assert.deepEqual(problems({ VIGIL_API_KEY_PEPPER: base.VIGIL_API_KEY_PEPPER }), [], 'API keys only: nothing required');
  });

  it('refuses algorithms the key mode cannot verify, and unknown names', () => {
    const env = { ...base, QUERY_API_JWT_ISSUER: ISSUER, QUERY_API_JWT_AUDIENCE: AUDIENCE };
    assert.match(
      problems({ ...env, QUERY_API_JWT_ALGORITHMS: 'RS256' })[0] ?? '',
      /^QUERY_API_JWT_ALGORITHMS: RS256 cannot be verified with QUERY_API_JWT_SECRET/,
    );
    assert.match(problems({ ...env, QUERY_API_JWT_ALGORITHMS: 'none' })[0] ?? '', /^QUERY_API_JWT_ALGORITHMS/);
    assert.deepEqual(problems({ ...env, QUERY_API_JWT_ALGORITHMS: 'HS256, HS512' }), []);
  });

  it('refuses a viewer token secret list that holds the JWT secret (either could then mint the other)', () => {
    const env = { ...base, QUERY_API_JWT_ISSUER: ISSUER, QUERY_API_JWT_AUDIENCE: AUDIENCE };
    const viewerSecret = 'a-viewer-token-secret-0123456789abcdef';
    assert.deepEqual(problems({ ...env, QUERY_API_VIEWER_TOKEN_SECRET: viewerSecret }), []);
    assert.deepEqual(problems({ ...env, QUERY_API_VIEWER_TOKEN_SECRET: `${viewerSecret},${SECRET}` }), [
      'QUERY_API_VIEWER_TOKEN_SECRET: must not hold QUERY_API_JWT_SECRET',
    ]);
  });
});
