import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { ViewerRestriction } from './tenant-scope.types';

/** The protected header's `typ`: what tells a viewer token from an identity provider's JWT. */
export const VIEWER_TOKEN_TYPE = 'vigil-viewer+jwt';
export const VIEWER_TOKEN_ISSUER = 'vigil-query-api';
export const VIEWER_TOKEN_AUDIENCE = 'vigil-console';
export const VIEWER_TOKEN_MIN_TTL_SECONDS = 60;
export const VIEWER_TOKEN_DEFAULT_TTL_SECONDS = 900;
/** The longest id (tenant, actor, target type or id) a token may name. */
export const VIEWER_ID_MAX_LENGTH = 256;
const ALGORITHM = 'HS256';
const MIN_SECRET_LENGTH = 32;

/**
 * `QUERY_API_VIEWER_TOKEN_SECRET`: comma-separated HS256 secrets, each at least 32 characters. The first signs, every
 * one verifies (rotation: put the new one first, drop the old one once the longest lifetime has passed). Unset: viewer
 * tokens are off (minting is FORBIDDEN, tokens are refused). Shared by the query API and the CLI.
 */
export const viewerTokenEnv = {
  QUERY_API_VIEWER_TOKEN_SECRET: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((secret) => secret.trim())
        .filter((secret) => secret !== ''),
    )
    .pipe(z.array(z.string().min(MIN_SECRET_LENGTH, `each secret must be at least ${MIN_SECRET_LENGTH} characters`)).min(1))
    .optional(),
  /** The longest lifetime a viewer token may be minted with (seconds); at least 60. */
  QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS: z.coerce.number().int().min(VIEWER_TOKEN_MIN_TTL_SECONDS).max(86_400).default(3600),
};

/** Whom a viewer token lets read: one tenant, optionally one actor and/or one target of it. */
export interface ViewerGrant {
  tenantId: string;
  restriction: ViewerRestriction;
}

/** A verified (or just signed) viewer token's contents. */
export interface ViewerTokenClaims extends ViewerGrant {
  /** The token's random id (`jti`): its rate-limit bucket and its name in logs, never the token itself. */
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** A problem with one field of a grant or a lifetime, named as the caller spelled it (`tenantId`, `ttlSeconds` ...). */
export interface ViewerGrantProblem {
  field: 'tenantId' | 'actorId' | 'targetType' | 'targetId' | 'ttlSeconds';
  message: string;
}

// eslint-disable-next-line no-control-regex -- the point: C0 controls and DEL are refused in ids
const CONTROL = /[\u0000-\u001f\u007f]/;

function idProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > VIEWER_ID_MAX_LENGTH) return `must be at most ${VIEWER_ID_MAX_LENGTH} characters`;
  if (CONTROL.test(value)) return 'must not hold control characters (U+0000–U+001F, U+007F)';
  return undefined;
}

/** Every problem of a grant's fields and its lifetime (empty when it may be signed). */
export function viewerGrantProblems(
  fields: { tenantId: string; actorId?: string | undefined; targetType?: string | undefined; targetId?: string | undefined },
  ttlSeconds: number,
  maxTtlSeconds: number,
): ViewerGrantProblem[] {
  const problems: ViewerGrantProblem[] = [];
  for (const field of ['tenantId', 'actorId', 'targetType', 'targetId'] as const) {
    const value = fields[field];
    const problem = value === undefined ? undefined : idProblem(value);
    if (problem) problems.push({ field, message: problem });
  }
  if ((fields.targetType === undefined) !== (fields.targetId === undefined)) {
    const missing = fields.targetType === undefined ? 'targetType' : 'targetId';
    problems.push({ field: missing, message: 'targetType and targetId go together: give both or neither' });
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < VIEWER_TOKEN_MIN_TTL_SECONDS || ttlSeconds > maxTtlSeconds) {
    problems.push({
      field: 'ttlSeconds',
      message: `must be a whole number of seconds from ${VIEWER_TOKEN_MIN_TTL_SECONDS} to ${maxTtlSeconds}`,
    });
  }
  return problems;
}

/** Whether a compact JWS says it is a viewer token (its protected header's `typ`); says nothing of its validity. */
export function isViewerToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === VIEWER_TOKEN_TYPE;
  } catch {
    return false;
  }
}

function isTarget(value: unknown): value is { type: string; id: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { type, id } = value as Record<string, unknown>;
  return typeof type === 'string' && typeof id === 'string' && Object.keys(value).length === 2;
}

/** The claims of a verified token as a grant, or undefined when any is missing or malformed. */
function claimsOf(payload: JWTPayload, maxTtlSeconds: number): ViewerTokenClaims | undefined {
  const { sub, jti, iat, exp } = payload;
  const tenant = payload['tenant'];
  const act = payload['act'];
  const tgt = payload['tgt'];
  if (typeof tenant !== 'string' || sub !== tenant || typeof jti !== 'string' || jti.length === 0 || jti.length > 64) return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat || exp - iat > maxTtlSeconds) return undefined;
  if (act !== undefined && typeof act !== 'string') return undefined;
  if (tgt !== undefined && !isTarget(tgt)) return undefined;
  const problems = viewerGrantProblems(
    { tenantId: tenant, actorId: act, targetType: tgt?.type, targetId: tgt?.id },
    exp - iat,
    maxTtlSeconds,
  );
  // The lifetime is judged against the max above (a token may be shorter than the minimum when signed directly).
  if (problems.some((p) => p.field !== 'ttlSeconds')) return undefined;
  return {
    tenantId: tenant,
    restriction: {
      ...(act !== undefined ? { actorId: act } : {}),
      ...(tgt !== undefined ? { target: { type: tgt.type, id: tgt.id } } : {}),
    },
    jti,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
  };
}

/**
 * Viewer tokens: compact JWS (HS256) with `typ: vigil-viewer+jwt`, `iss: vigil-query-api`, `aud: vigil-console`,
 * `sub` and `tenant` (the tenant), optional `act` (an actor id) and `tgt` ({type, id}), `iat`, `exp` and a random
 * `jti`. Signed with the first secret, verified with any (rotation). Nothing in a token is ever logged here.
 */
export class ViewerTokenCodec {
  private readonly keys: readonly Uint8Array[];

  constructor(
    secrets: readonly string[],
    private readonly maxTtlSeconds: number,
  ) {
    if (secrets.length === 0) throw new Error('a viewer token codec needs at least one secret');
    if (secrets.some((secret) => secret.length < MIN_SECRET_LENGTH))
      throw new Error(`every viewer token secret must be at least ${MIN_SECRET_LENGTH} characters`);
    this.keys = secrets.map((secret) => new TextEncoder().encode(secret));
  }

  /** Signs a grant valid from `now` for `ttlSeconds`; throws when the grant or the lifetime is out of bounds. */
  async sign(grant: ViewerGrant, ttlSeconds: number, now: Date): Promise<{ token: string; claims: ViewerTokenClaims }> {
    const { actorId, target } = grant.restriction;
    const problems = viewerGrantProblems(
      { tenantId: grant.tenantId, actorId, targetType: target?.type, targetId: target?.id },
      ttlSeconds,
      this.maxTtlSeconds,
    );
    if (problems.length > 0) throw new Error(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ttlSeconds;
    const jti = randomUUID();
    const claims: JWTPayload = {
      tenant: grant.tenantId,
      ...(actorId !== undefined ? { act: actorId } : {}),
      ...(target !== undefined ? { tgt: { type: target.type, id: target.id } } : {}),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: VIEWER_TOKEN_TYPE })
      .setIssuer(VIEWER_TOKEN_ISSUER)
      .setAudience(VIEWER_TOKEN_AUDIENCE)
      .setSubject(grant.tenantId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.keys[0] ?? new Uint8Array());
    return {
      token,
      claims: {
        tenantId: grant.tenantId,
        restriction: { ...grant.restriction },
        jti,
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date(exp * 1000),
      },
    };
  }

  /**
   * The token's claims when it is a viewer token (typ), signed with one of the secrets, for this issuer and
   * audience, not expired at `now`, with well-formed claims; undefined for anything else, whatever the cause.
   */
  async verify(token: string, now: Date): Promise<ViewerTokenClaims | undefined> {
    for (const key of this.keys) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          typ: VIEWER_TOKEN_TYPE,
          issuer: VIEWER_TOKEN_ISSUER,
          audience: VIEWER_TOKEN_AUDIENCE,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
          currentDate: now,
        }));
      } catch {
        continue; // another secret may have signed it; any other failure fails every key the same way
      }
      return claimsOf(payload, this.maxTtlSeconds);
    }
    return undefined;
  }
}
