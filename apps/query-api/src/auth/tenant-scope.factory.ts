import { QueryErrorCode, QueryException } from '../query.exception';
import { TenantScope } from '@vigil/store';
import type { Principal } from './principal.types';

/**
 * The only place a TenantScope is made for a request: the caller's own tenant, or every tenant when an
 * admin explicitly asks (`allTenants: true`). Anyone else asking for all tenants is FORBIDDEN.
 */
export function scopeFor(principal: Principal, allTenants: boolean | null | undefined): TenantScope {
  if (allTenants !== true) return TenantScope.tenant(principal.tenantId);
  if (principal.role !== 'admin') throw new QueryException(QueryErrorCode.FORBIDDEN, 'only an admin may query across tenants (allTenants)');
  return TenantScope.all();
}
