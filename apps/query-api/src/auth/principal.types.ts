import { API_KEY_ROLES, type ApiKeyRole } from '@vigil/store';

/**
 * The operator of the whole installation: the only role that may read across tenants (`allTenants`). A
 * tenant's `admin` administers its own tenant and reads only its own events.
 */
export const PLATFORM_ADMIN_ROLE = 'platform-admin';

export type Role = ApiKeyRole | typeof PLATFORM_ADMIN_ROLE;

/** Every role a principal may hold; API keys hold one of API_KEY_ROLES (libs/store), JWTs any of these. */
export const ROLES: readonly Role[] = [...API_KEY_ROLES, PLATFORM_ADMIN_ROLE];

/** Who is asking: resolved from an API key or a JWT on every request. */
export interface Principal {
  tenantId: string;
  role: Role;
  /** The rate-limit bucket: `key:<id>` or `jwt:<issuer>/<subject>`. */
  subject: string;
}

/** Where the guard leaves the principal on the HTTP request (or the subscription context). */
export const PRINCIPAL = Symbol('vigil.principal');

export interface WithPrincipal {
  [PRINCIPAL]?: Principal;
}
