import { API_KEY_ROLES, type ApiKeyRole } from '@vigil/store';

/**
 * The operator of the whole installation: the only role that may read across tenants (`allTenants`). A
 * tenant's `admin` administers its own tenant and reads only its own events.
 */
export const PLATFORM_ADMIN_ROLE = 'platform-admin' satisfies ApiKeyRole;

export type Role = ApiKeyRole;

/** Every role a principal may hold, from an API key or a JWT's role claim. */
export const ROLES: readonly Role[] = API_KEY_ROLES;

/** Who is asking: resolved from an API key or a JWT on every request. */
export interface Principal {
  tenantId: string;
  role: Role;
  /** The rate-limit and concurrency bucket: `key:<id>` or `jwt:<issuer>/<subject>`. */
  subject: string;
  /** When the credential stops being valid (a JWT's `exp`); API keys end only when revoked. */
  expiresAt?: Date;
}

/** Where the guard leaves the principal on the HTTP request (or the subscription context). */
export const PRINCIPAL = Symbol('vigil.principal');

export interface WithPrincipal {
  [PRINCIPAL]?: Principal;
}
