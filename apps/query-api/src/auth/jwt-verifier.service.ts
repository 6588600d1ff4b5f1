import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { QueryErrorCode, QueryException } from '../query.exception';
import type { QueryApiConfig } from '../query-api.config';
import { pinnedAlgorithms } from './jwt-config.schema';
import { isViewerToken, type ApiKeyRole } from '@vigil/store';
import { ROLES, type Principal } from './principal.types';

function unauthenticated(message: string): QueryException {
  return new QueryException(QueryErrorCode.UNAUTHENTICATED, message);
}

/** The settings a verifier needs (a subset of the query API's config, so tests can build one directly). */
export type JwtVerifierConfig = Pick<
  QueryApiConfig,
  | 'QUERY_API_JWKS_URL'
  | 'QUERY_API_JWT_SECRET'
  | 'QUERY_API_JWT_ISSUER'
  | 'QUERY_API_JWT_AUDIENCE'
  | 'QUERY_API_JWT_ALGORITHMS'
  | 'QUERY_API_JWT_TENANT_CLAIM'
  | 'QUERY_API_JWT_ROLE_CLAIM'
>;

/**
 * Verifies JWTs with jose against QUERY_API_JWKS_URL or QUERY_API_JWT_SECRET and reads the tenant and role
 * claims. Every token must carry `exp`, the configured `iss` and `aud`, and be signed with a pinned algorithm:
 * a token that never expires, or one minted for another service, is refused.
 */
@Injectable()
export class JwtVerifier {
  private readonly key: JWTVerifyGetKey | Uint8Array | undefined;
  private readonly options: JWTVerifyOptions;

  constructor(
    @Inject(APP_CONFIG) private readonly config: JwtVerifierConfig,
    private readonly clock: Clock,
  ) {
    if (config.QUERY_API_JWKS_URL) this.key = createRemoteJWKSet(new URL(config.QUERY_API_JWKS_URL));
    else if (config.QUERY_API_JWT_SECRET) this.key = new TextEncoder().encode(config.QUERY_API_JWT_SECRET);
    // The config refuses to boot without issuer and audience when a key is set (requireJwtSettings).
    this.options = {
      algorithms: [...pinnedAlgorithms(config)],
      requiredClaims: ['exp', 'iss', 'aud'],
      ...(config.QUERY_API_JWT_ISSUER ? { issuer: config.QUERY_API_JWT_ISSUER } : {}),
      ...(config.QUERY_API_JWT_AUDIENCE ? { audience: config.QUERY_API_JWT_AUDIENCE } : {}),
    };
  }

  async verify(token: string): Promise<Principal> {
    if (this.key === undefined) throw unauthenticated('JWTs are not accepted here (no JWKS or secret configured); use an API key');
    // A viewer token is never an identity provider's JWT, whatever key it was signed with (the Authenticator routes it away).
    if (isViewerToken(token)) throw unauthenticated('the token is invalid or expired');
    let payload: JWTPayload;
    // Expiry and not-before are judged by the injected clock, like every other time decision.
    const options: JWTVerifyOptions = { ...this.options, currentDate: this.clock.now() };
    try {
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch {
      // One message for every cause (signature, algorithm, exp, iss, aud): the details help an attacker more than a user.
      throw unauthenticated('the token is invalid or expired');
    }
    const tenant = payload[this.config.QUERY_API_JWT_TENANT_CLAIM];
    const role = payload[this.config.QUERY_API_JWT_ROLE_CLAIM];
    if (typeof tenant !== 'string' || tenant.length === 0)
      throw unauthenticated(`the token has no "${this.config.QUERY_API_JWT_TENANT_CLAIM}" claim`);
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw unauthenticated(`the token's "${this.config.QUERY_API_JWT_ROLE_CLAIM}" claim must be one of ${ROLES.join(', ')}`);
    }
    return {
      tenantId: tenant,
      role: role as ApiKeyRole,
      subject: `jwt:${payload.iss ?? ''}/${payload.sub ?? tenant}`,
      credential: 'JWT',
      // Required above (requiredClaims), so always present on a verified token.
      ...(payload.exp !== undefined ? { expiresAt: new Date(payload.exp * 1000) } : {}),
    };
  }
}
