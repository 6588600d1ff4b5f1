import type { ApiKeyRole } from '@vigil/store';

export type Role = ApiKeyRole;

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
