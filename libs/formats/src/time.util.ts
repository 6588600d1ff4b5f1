// Vigil timestamps are epoch microseconds held in a JS number (exact up to 2^53 µs, year 2255).

const MICROS_PER_MILLI = 1000;

/** ISO-8601 UTC with microsecond precision, e.g. `2023-11-14T22:13:20.123456Z`. */
export function microsToIso(micros: number): string {
  const millis = Math.floor(micros / MICROS_PER_MILLI);
  const subMillis = micros - millis * MICROS_PER_MILLI;
  const iso = new Date(millis).toISOString();
  return `${iso.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`;
}

/** OTLP int64 nanoseconds as a decimal string; BigInt keeps the digits a double would lose. */
export function microsToUnixNanos(micros: number): string {
  return (BigInt(Math.trunc(micros)) * 1000n).toString();
}

/** Epoch seconds with millisecond precision, e.g. 1700000000.123 (Splunk HEC `time`). */
export function microsToEpochSeconds(micros: number): number {
  return Math.floor(micros / MICROS_PER_MILLI) / 1000;
}
