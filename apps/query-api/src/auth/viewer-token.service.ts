import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { ViewerTokenCodec, type ViewerGrant, type ViewerRestriction, type ViewerTokenClaims } from '@vigil/store';
import { QueryErrorCode, QueryException } from '../query.exception';
import type { QueryApiConfig } from '../query-api.config';
import { VIEWER_ROLE, type Principal } from './principal.types';

/** The settings viewer tokens need (a subset of the query API's config). */
export type ViewerTokenConfig = Pick<QueryApiConfig, 'QUERY_API_VIEWER_TOKEN_SECRET' | 'QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS'>;

/**
 * The rate-limit and concurrency bucket of a viewer token: one per tenant and restriction. Every token minted for the
 * same actor (or target) shares it, so minting more tokens does not multiply that end user's share of the instance;
 * different end users of a tenant have their own, so one of them looping slow queries, holding an export or the
 * live-tail subscriptions cannot refuse all the others (a tenant-wide bucket did). A whole-tenant viewer token is
 * `viewer:<tenant>`.
 */
export function viewerSubject(tenantId: string, restriction: ViewerRestriction | undefined): string {
  if (restriction === undefined || (restriction.actorId === undefined && restriction.target === undefined)) return `viewer:${tenantId}`;
  const key = JSON.stringify([restriction.actorId ?? null, restriction.target?.type ?? null, restriction.target?.id ?? null]);
  return `viewer:${tenantId}:${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`;
}

export const VIEWER_TOKENS_NOT_CONFIGURED =
  'viewer tokens are not configured on this API: set QUERY_API_VIEWER_TOKEN_SECRET (one or more secrets of at least 32 characters)';

/**
 * Mints and verifies viewer tokens with QUERY_API_VIEWER_TOKEN_SECRET, by the injected clock. Without the secret,
 * minting is FORBIDDEN and every viewer token is refused as invalid. Never logs a token or a secret.
 */
@Injectable()
export class ViewerTokenService {
  private readonly codec: ViewerTokenCodec | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: ViewerTokenConfig,
    private readonly clock: Clock,
  ) {
    const secrets = config.QUERY_API_VIEWER_TOKEN_SECRET;
    this.codec = secrets ? new ViewerTokenCodec(secrets, config.QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS) : undefined;
  }

  get configured(): boolean {
    return this.codec !== undefined;
  }

  get maxTtlSeconds(): number {
    return this.config.QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS;
  }

  /** Signs a grant (validated by the caller, re-checked by the codec) for `ttlSeconds` from now. */
  mint(grant: ViewerGrant, ttlSeconds: number): Promise<{ token: string; claims: ViewerTokenClaims }> {
    if (!this.codec) throw new QueryException(QueryErrorCode.FORBIDDEN, VIEWER_TOKENS_NOT_CONFIGURED);
    return this.codec.sign(grant, ttlSeconds, this.clock.now());
  }

  /** The viewer principal of a valid token; the same UNAUTHENTICATED as any other bad token otherwise. */
  async authenticate(token: string): Promise<Principal> {
    const claims = this.codec ? await this.codec.verify(token, this.clock.now()) : undefined;
    if (!claims) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'the token is invalid or expired');
    return {
      tenantId: claims.tenantId,
      role: VIEWER_ROLE,
      subject: viewerSubject(claims.tenantId, claims.restriction),
      credential: 'VIEWER_TOKEN',
      expiresAt: claims.expiresAt,
      restriction: claims.restriction,
    };
  }
}
