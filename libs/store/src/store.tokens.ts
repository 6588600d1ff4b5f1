/** Injection tokens of libs/store. */
export const PG_POOL = Symbol('PG_POOL');

/** The validated `StoreOptions` (retention and partitions ahead). */
export const STORE_OPTIONS = Symbol('STORE_OPTIONS');

/** The `EventQueryOptions` of `AuditEventQueryRepository` (statement timeouts), provided by the app that reads. */
export const EVENT_QUERY_OPTIONS = Symbol('EVENT_QUERY_OPTIONS');
