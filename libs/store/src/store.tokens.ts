/** Injection tokens of libs/store. */
export const PG_POOL = Symbol('PG_POOL');

/** The validated `StoreOptions` (retention and partitions ahead). */
export const STORE_OPTIONS = Symbol('STORE_OPTIONS');
