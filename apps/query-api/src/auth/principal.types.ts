import { API_KEY_ROLES, type ApiKeyRole, type ViewerRestriction } from '@vigil/store';

/**
 * The operator of the whole installation: the only role that may read across tenants (`allTenants`). A
 * tenant's `admin` administers its own tenant and reads only its own events.
 */
export const PLATFORM_ADMIN_ROLE = 'platform-admin' satisfies ApiKeyRole;

/**
 * The holder of a viewer token (the embedded console): reads one tenant's events, optionally one actor's or one
 * target's, and nothing else. Never an API key's or an identity provider JWT's role: only a viewer token carries it.
 */
export const VIEWER_ROLE = 'viewer';

export type Role = ApiKeyRole | typeof VIEWER_ROLE;

/** Every role an API key or an identity provider JWT's role claim may hold (not `viewer`). */
export const ROLES: readonly ApiKeyRole[] = API_KEY_ROLES;

/** What the caller authenticated with (the `me` query's `credential`). */
export type CredentialKind = 'API_KEY' | 'JWT' | 'VIEWER_TOKEN';

/** Who is asking: resolved from an API key, a JWT or a viewer token on every request. */
export interface Principal {
  tenantId: string;
  role: Role;
  /** The rate-limit and concurrency bucket: `key:<id>`, `jwt:<issuer>/<subject>` or `viewer:<tenant>[:<restriction>]` (viewerSubject). */
  subject: string;
  credential: CredentialKind;
  /** When the credential stops being valid (a JWT's or viewer token's `exp`); API keys end only when revoked. */
  expiresAt?: Date;
  /** A viewer token's restriction within its tenant (an actor, a target); the scope of its every query. */
  restriction?: ViewerRestriction;
}

/** Where the guard leaves the principal on the HTTP request (or the subscription context). */
export const PRINCIPAL = Symbol('vigil.principal');

export interface WithPrincipal {
  [PRINCIPAL]?: Principal;
}
