import type { Action, Actor, AttributeValue, Category, Client, Http, Outcome, PayloadByCategory, Severity, Target } from '@vigil/events';

/**
 * What a producer writes: the action, the tenant and the actor. Everything else is optional and
 * filled in by the SDK (id, times, category, default outcome and severity from the catalog, service,
 * trace context), so the smallest event is `{ action, tenantId, actor: { id } }`.
 */
export interface AuditEventInput {
  action: Action;
  tenantId: string;
  actor: Pick<Actor, 'id'> & Partial<Omit<Actor, 'id'>>;
  /** Defaults to the catalog's category of the action; a different one is an error. */
  category?: Category;
  outcome?: Outcome;
  severity?: Severity;
  /** A UUID; defaults to a fresh UUIDv7. Supply your own only to make retries idempotent. */
  id?: string;
  /** When it happened; defaults to now. A Date, an ISO-8601 string, or epoch microseconds. */
  time?: Date | string | number;
  client?: Partial<Client> | null;
  targets?: (Pick<Target, 'type' | 'id'> & Partial<Pick<Target, 'name'>>)[];
  http?: Partial<Http> | null;
  /** Overrides the publisher's service name/version/host for this event. */
  service?: { name?: string; version?: string | null; host?: string | null };
  correlationId?: string | null;
  traceId?: string | null;
  spanId?: string | null;
  description?: string | null;
  /** The category's typed payload (fields not given are null). */
  payload?: Partial<PayloadByCategory[Category]> | null;
  attributes?: Record<string, AttributeValue>;
}

/** Same as AuditEventInput but with a plain string action, for untyped sources (NDJSON files, HTTP). */
export type UntypedAuditEventInput = Omit<AuditEventInput, 'action'> & { action: string };
