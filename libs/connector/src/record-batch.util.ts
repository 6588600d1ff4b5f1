/** Anything with a serialised size. */
export interface Sized {
  json: string;
}

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

/** Byte size the record adds to a request (its JSON plus a separator). */
export function recordBytes(record: Sized): number {
  return Buffer.byteLength(record.json) + 1;
}

/** Splits a refused batch in two halves, in order, to isolate the records the SIEM will not take. */
export function halve<T>(records: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(records.length / 2);
  return [records.slice(0, middle), records.slice(middle)];
}
