import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { ApiKeyRepository, isViewerToken, looksLikeApiKey, PG_POOL } from '@vigil/store';
import { QueryErrorCode, QueryException } from '../query.exception';
import type { QueryApiConfig } from '../query-api.config';
import { JwtVerifier } from './jwt-verifier.service';
import type { Principal } from './principal.types';
import { ViewerTokenService } from './viewer-token.service';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The credential of a request: `Authorization: Bearer <api key, JWT or viewer token>`, or `X-API-Key: <api key>`. */
export function credentialOf(headers: Headers): string | undefined {
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'the Authorization header must be "Bearer <api key or JWT>"');
    return match[1];
  }
  const apiKey = header(headers, 'x-api-key')?.trim();
  return apiKey ? apiKey : undefined;
}

const NO_CREDENTIAL = 'send an API key or a JWT (or a viewer token): Authorization: Bearer <credential>';
const JWT_NOT_ACCEPTED = 'JWTs are not accepted here (no JWKS, JWT secret or viewer token secret configured); use an API key';
/** A compact JWS: three base64url parts. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * The check the GraphQL transport runs before parsing and validating a document: a credential of an
 * acceptable shape is present (an API key, or a JWS when identity provider JWTs or viewer tokens are configured).
 * It proves nothing (the guard authenticates), but a caller without one is refused before the document costs any CPU.
 */
export function precheckCredential(headers: Headers, jwtAccepted: boolean): void {
  const credential = credentialOf(headers);
  if (credential === undefined) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, NO_CREDENTIAL);
  if (looksLikeApiKey(credential)) return;
  if (!jwtAccepted) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, JWT_NOT_ACCEPTED);
  if (!JWT_SHAPE.test(credential)) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'the token is invalid or expired');
}

/**
 * Turns a request's credential into a Principal, or refuses it: an API key (from the store), a viewer token (a JWS
 * whose header says `typ: vigil-viewer+jwt`, verified only with QUERY_API_VIEWER_TOKEN_SECRET), or an identity
 * provider's JWT (anything else, verified only by the JwtVerifier). A token is never tried with the other's keys.
 */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
    private readonly apiKeys: ApiKeyRepository,
    private readonly jwt: JwtVerifier,
    private readonly viewerTokens: ViewerTokenService,
  ) {}

  async authenticate(headers: Headers): Promise<Principal> {
    const credential = credentialOf(headers);
    if (credential === undefined) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, NO_CREDENTIAL);
    if (!looksLikeApiKey(credential)) {
      return isViewerToken(credential) ? this.viewerTokens.authenticate(credential) : this.jwt.verify(credential);
    }
    const key = await this.apiKeys.verify(this.pool, credential, this.config.VIGIL_API_KEY_PEPPER);
    if (!key) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'the API key is unknown or revoked');
    return { tenantId: key.tenantId, role: key.role, subject: `key:${key.id}`, credential: 'API_KEY' };
  }
}
