import { createHash } from 'node:crypto';

/**
 * What a viewer token narrows its tenant to: one actor's events, one target's, or both. The store applies it in
 * every query (`buildEventWhere`, `findById`) and the live tail in its matcher, so no resolver can forget it.
 */
export interface ViewerRestriction {
  readonly actorId?: string | undefined;
  readonly target?: { readonly type: string; readonly id: string } | undefined;
}

/** The parts of an event a scope judges (a decoded event has them all). */
export interface ScopedEvent {
  tenantId: string;
  actor: { id: string };
  targets: readonly { type: string; id: string }[];
}

/**
 * Whose events a query may read. Every query of the data layer takes one, so a query without a tenant
 * predicate cannot be built; the only way across tenants is the explicit `TenantScope.all()`, which the
 * API hands out only to an admin who asked for it (`scopeFor`). A viewer's scope (`TenantScope.viewer`) is one
 * tenant, further narrowed to an actor and/or a target.
 */
export class TenantScope {
  private constructor(
    readonly tenantId: string | null,
    /** The viewer's restriction; null when the scope is the whole tenant (or every tenant). */
    readonly restriction: Readonly<ViewerRestriction> | null,
  ) {}

  static tenant(tenantId: string): TenantScope {
    if (tenantId.length === 0) throw new Error('a tenant scope needs a tenant id');
    return new TenantScope(tenantId, null);
  }

  /** One tenant's events, of one actor and/or one target when the restriction names them (a viewer token's scope). */
  static viewer(tenantId: string, restriction: ViewerRestriction): TenantScope {
    if (tenantId.length === 0) throw new Error('a tenant scope needs a tenant id');
    const { actorId, target } = restriction;
    if (actorId !== undefined && actorId.length === 0) throw new Error('a restriction to an actor needs its id');
    if (target !== undefined && (target.type.length === 0 || target.id.length === 0))
      throw new Error('a restriction to a target needs its type and id');
    if (actorId === undefined && target === undefined) return new TenantScope(tenantId, null);
    const frozen: ViewerRestriction = {
      ...(actorId !== undefined ? { actorId } : {}),
      ...(target !== undefined ? { target: Object.freeze({ type: target.type, id: target.id }) } : {}),
    };
    return new TenantScope(tenantId, Object.freeze(frozen));
  }

  static all(): TenantScope {
    return new TenantScope(null, null);
  }

  get isAllTenants(): boolean {
    return this.tenantId === null;
  }

  /** Whether the scope is narrower than its tenant (an actor or a target): the rollups, which carry neither, cannot answer it. */
  get isRestricted(): boolean {
    return this.restriction !== null;
  }

  /** A short, stable digest that binds cursors to the scope they were issued for (the restriction included). */
  digest(): string {
    const r = this.restriction;
    const text =
      this.tenantId === null
        ? '*'
        : r === null
          ? `tenant:${this.tenantId}`
          : `viewer:${JSON.stringify([this.tenantId, r.actorId ?? null, r.target?.type ?? null, r.target?.id ?? null])}`;
    return createHash('sha256').update(text).digest('base64url').slice(0, 16);
  }

  /** Whether an event is within the scope: its tenant, and its actor and target when restricted (the live tail's check). */
  includes(event: ScopedEvent): boolean {
    if (this.tenantId !== null && this.tenantId !== event.tenantId) return false;
    const r = this.restriction;
    if (r === null) return true;
    if (r.actorId !== undefined && event.actor.id !== r.actorId) return false;
    const target = r.target;
    if (target !== undefined && !event.targets.some((t) => t.type === target.type && t.id === target.id)) return false;
    return true;
  }
}
