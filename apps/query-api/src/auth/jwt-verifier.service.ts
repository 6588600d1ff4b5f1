import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { API_KEY_ROLES } from '@vigil/store';
import { QueryErrorCode, QueryException } from '../query.exception';
import type { QueryApiConfig } from '../query-api.config';
import type { Principal, Role } from './principal.types';

function unauthenticated(message: string): QueryException {
  return new QueryException(QueryErrorCode.UNAUTHENTICATED, message);
}

/** Verifies JWTs with jose against QUERY_API_JWKS_URL or the HS256 QUERY_API_JWT_SECRET; reads tenant and role claims. */
@Injectable()
export class JwtVerifier {
  private readonly key: JWTVerifyGetKey | Uint8Array | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
    private readonly clock: Clock,
  ) {
    if (config.QUERY_API_JWKS_URL) this.key = createRemoteJWKSet(new URL(config.QUERY_API_JWKS_URL));
    else if (config.QUERY_API_JWT_SECRET) this.key = new TextEncoder().encode(config.QUERY_API_JWT_SECRET);
  }

  async verify(token: string): Promise<Principal> {
    if (this.key === undefined) throw unauthenticated('JWTs are not accepted here (no JWKS or secret configured); use an API key');
    let payload: JWTPayload;
    // Expiry and not-before are judged by the injected clock, like every other time decision.
    const options = {
      currentDate: this.clock.now(),
      ...(this.config.QUERY_API_JWT_ISSUER ? { issuer: this.config.QUERY_API_JWT_ISSUER } : {}),
      ...(this.config.QUERY_API_JWT_AUDIENCE ? { audience: this.config.QUERY_API_JWT_AUDIENCE } : {}),
    };
    try {
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, { ...options, algorithms: ['HS256'] })).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch {
      throw unauthenticated('the token is invalid or expired');
    }
    const tenant = payload[this.config.QUERY_API_JWT_TENANT_CLAIM];
    const role = payload[this.config.QUERY_API_JWT_ROLE_CLAIM];
    if (typeof tenant !== 'string' || tenant.length === 0)
      throw unauthenticated(`the token has no "${this.config.QUERY_API_JWT_TENANT_CLAIM}" claim`);
    if (typeof role !== 'string' || !(API_KEY_ROLES as readonly string[]).includes(role)) {
      throw unauthenticated(`the token's "${this.config.QUERY_API_JWT_ROLE_CLAIM}" claim must be one of ${API_KEY_ROLES.join(', ')}`);
    }
    return { tenantId: tenant, role: role as Role, subject: `jwt:${payload.iss ?? ''}/${payload.sub ?? tenant}` };
  }
}
