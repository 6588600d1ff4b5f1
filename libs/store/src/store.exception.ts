export enum StoreErrorCode {
  /** The event cannot be stored as it is (a field breaks a column's rule); send it to the dead-letter topic. */
  INVALID_EVENT = 'INVALID_EVENT',
  /** A read ran longer than its statement timeout (the caller should narrow the time range or the filter). */
  QUERY_TIMEOUT = 'QUERY_TIMEOUT',
  /** A schema name that is not a plain lowercase SQL identifier (it would be spliced into DDL). */
  INVALID_SCHEMA = 'INVALID_SCHEMA',
}

/** A store-side rejection that names the field (or setting) and the rule it broke. */
export class StoreException extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = 'StoreException';
  }
}
