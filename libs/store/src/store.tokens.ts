/** Injection tokens of libs/store. */
export const PG_POOL = Symbol('PG_POOL');
