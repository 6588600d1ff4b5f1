import { z } from 'zod';

/** JWS algorithms verified with a public key from a JWKS. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
/** JWS algorithms verified with the shared QUERY_API_JWT_SECRET. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export type JwtAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number] | (typeof HMAC_ALGORITHMS)[number];

const ALL: readonly JwtAlgorithm[] = [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS];

/** The pinned algorithms when QUERY_API_JWT_ALGORITHMS is unset. */
export const DEFAULT_JWKS_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
export const DEFAULT_SECRET_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256'];

/** `QUERY_API_JWT_ALGORITHMS=RS256,ES256`: a comma-separated list of JWS algorithm names. */
export const jwtAlgorithmsEnv = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim()))
  .pipe(z.array(z.enum(ALL as [JwtAlgorithm, ...JwtAlgorithm[]], { error: `must list algorithms among ${ALL.join(', ')}` })).min(1));

/** The JWT part of the query API's environment, as the refinement below reads it. */
export interface JwtEnv {
  QUERY_API_JWKS_URL?: string | undefined;
  QUERY_API_JWT_SECRET?: string | undefined;
  QUERY_API_JWT_ISSUER?: string | undefined;
  QUERY_API_JWT_AUDIENCE?: string | undefined;
  QUERY_API_JWT_ALGORITHMS?: JwtAlgorithm[] | undefined;
}

/** The algorithms a verifier accepts: the configured ones, or the default of its mode. */
export function pinnedAlgorithms(env: JwtEnv): readonly JwtAlgorithm[] {
  return env.QUERY_API_JWT_ALGORITHMS ?? (env.QUERY_API_JWKS_URL ? DEFAULT_JWKS_ALGORITHMS : DEFAULT_SECRET_ALGORITHMS);
}

/**
 * Boot fails, naming the variable, when JWT auth is on (a JWKS URL or a secret) without an issuer and an
 * audience to require, or with algorithms its key mode cannot verify: a token from another issuer or meant
 * for another service must never be accepted because a variable was forgotten.
 */
export function requireJwtSettings(env: JwtEnv, ctx: z.RefinementCtx): void {
  const jwks = env.QUERY_API_JWKS_URL !== undefined;
  if (!jwks && env.QUERY_API_JWT_SECRET === undefined) return;
  const mode = jwks ? 'QUERY_API_JWKS_URL' : 'QUERY_API_JWT_SECRET';
  for (const name of ['QUERY_API_JWT_ISSUER', 'QUERY_API_JWT_AUDIENCE'] as const) {
    if (env[name] === undefined)
      ctx.addIssue({ code: 'custom', path: [name], message: `is required when ${mode} is set (JWT auth is on)` });
  }
  const allowed: readonly JwtAlgorithm[] = jwks ? ASYMMETRIC_ALGORITHMS : HMAC_ALGORITHMS;
  const wrong = pinnedAlgorithms(env).filter((alg) => !allowed.includes(alg));
  if (wrong.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUERY_API_JWT_ALGORITHMS'],
      message: `${wrong.join(', ')} cannot be verified with ${mode}; use ${allowed.join(', ')}`,
    });
  }
}
