import { createHash } from 'node:crypto';

/**
 * Whose events a query may read. Every query of the data layer takes one, so a query without a tenant
 * predicate cannot be built; the only way across tenants is the explicit `TenantScope.all()`, which the
 * API hands out only to an admin who asked for it (`scopeFor`).
 */
export class TenantScope {
  private constructor(readonly tenantId: string | null) {}

  static tenant(tenantId: string): TenantScope {
    if (tenantId.length === 0) throw new Error('a tenant scope needs a tenant id');
    return new TenantScope(tenantId);
  }

  static all(): TenantScope {
    return new TenantScope(null);
  }

  get isAllTenants(): boolean {
    return this.tenantId === null;
  }

  /** A short, stable digest that binds cursors to the scope they were issued for. */
  digest(): string {
    return createHash('sha256')
      .update(this.tenantId === null ? '*' : `tenant:${this.tenantId}`)
      .digest('base64url')
      .slice(0, 16);
  }

  /** Whether an event of `tenantId` is within the scope (the live tail's in-memory check). */
  includes(tenantId: string): boolean {
    return this.tenantId === null || this.tenantId === tenantId;
  }
}
