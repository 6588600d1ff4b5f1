import { QueryErrorCode, QueryException } from '../query.exception';
import { TenantScope } from '@vigil/store';
import { PLATFORM_ADMIN_ROLE, VIEWER_ROLE, type Principal } from './principal.types';

/**
 * The only place a TenantScope is made for a request: the caller's own tenant (a viewer token's narrowed to its
 * actor and target), or every tenant when a platform admin explicitly asks (`allTenants: true`). Anyone else asking
 * for all tenants, a tenant's own `admin` and a viewer included, is FORBIDDEN.
 */
export function scopeFor(principal: Principal, allTenants: boolean | null | undefined): TenantScope {
  if (allTenants === true) {
    if (principal.role !== PLATFORM_ADMIN_ROLE) {
      throw new QueryException(QueryErrorCode.FORBIDDEN, `only the ${PLATFORM_ADMIN_ROLE} role may query across tenants (allTenants)`);
    }
    return TenantScope.all();
  }
  if (principal.role === VIEWER_ROLE || principal.restriction !== undefined)
    return TenantScope.viewer(principal.tenantId, principal.restriction ?? {});
  return TenantScope.tenant(principal.tenantId);
}
