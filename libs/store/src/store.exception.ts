export enum StoreErrorCode {
  /** The event cannot be stored as it is (a field breaks a column's rule); send it to the dead-letter topic. */
  INVALID_EVENT = 'INVALID_EVENT',
}

/** A store-side rejection that names the field and the rule it broke. */
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
