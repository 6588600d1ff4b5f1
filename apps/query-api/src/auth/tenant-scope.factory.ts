import { QueryErrorCode, QueryException } from '../query.exception';
import { TenantScope } from '@vigil/store';
import { PLATFORM_ADMIN_ROLE, type Principal } from './principal.types';

/**
 * The only place a TenantScope is made for a request: the caller's own tenant, or every tenant when a
 * platform admin explicitly asks (`allTenants: true`). Anyone else asking for all tenants, a tenant's own
 * `admin` included, is FORBIDDEN.
 */
export function scopeFor(principal: Principal, allTenants: boolean | null | undefined): TenantScope {
  if (allTenants !== true) return TenantScope.tenant(principal.tenantId);
  if (principal.role !== PLATFORM_ADMIN_ROLE) {
    throw new QueryException(QueryErrorCode.FORBIDDEN, `only the ${PLATFORM_ADMIN_ROLE} role may query across tenants (allTenants)`);
  }
  return TenantScope.all();
}
