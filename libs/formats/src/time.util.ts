// Vigil timestamps are epoch microseconds held in a JS number (exact up to 2^53 µs, year 2255).

const MICROS_PER_MILLI = 1000;

/** ISO-8601 UTC with microsecond precision; the store spells its rows' times the same way, so it lives in libs/events. */
export { microsToIso } from '@vigil/events';

/** OTLP int64 nanoseconds as a decimal string; BigInt keeps the digits a double would lose. */
export function microsToUnixNanos(micros: number): string {
  return (BigInt(Math.trunc(micros)) * 1000n).toString();
}

/** Epoch seconds with millisecond precision, e.g. 1700000000.123 (Splunk HEC `time`). */
export function microsToEpochSeconds(micros: number): number {
  return Math.floor(micros / MICROS_PER_MILLI) / 1000;
}
