// Vigil timestamps are epoch microseconds held in a JS number (exact up to 2^53 µs, year 2255).

const MICROS_PER_MILLI = 1000;

const MICROS_PER_SECOND = 1_000_000;
/**
 * The seconds formatted last (`2023-11-14T22:13:20.`), a few slots chosen by the second: the events of a batch mostly
 * share their seconds, but each event has two times (`time` and `observedTime`) that often fall in different seconds,
 * and a single slot then missed on every call.
 */
const SLOTS = 8;
const cachedSeconds = new Float64Array(SLOTS).fill(Number.NaN);
const cachedPrefixes = new Array<string>(SLOTS).fill('');

/** ISO-8601 UTC with microsecond precision, e.g. `2023-11-14T22:13:20.123456Z`. */
export function microsToIso(micros: number): string {
  const second = Math.floor(micros / MICROS_PER_SECOND);
  const slot = ((second % SLOTS) + SLOTS) % SLOTS;
  let prefix = cachedPrefixes[slot] ?? '';
  if (cachedSeconds[slot] !== second) {
    // Date's own formatting (years beyond 9999 and before 0 included), once per second rather than once per event.
    const iso = new Date(second * 1000).toISOString();
    prefix = iso.slice(0, iso.length - 4);
    cachedPrefixes[slot] = prefix;
    cachedSeconds[slot] = second;
  }
  const fraction = Math.floor(micros - second * MICROS_PER_SECOND);
  return `${prefix}${String(fraction).padStart(6, '0')}Z`;
}

/** OTLP int64 nanoseconds as a decimal string; BigInt keeps the digits a double would lose. */
export function microsToUnixNanos(micros: number): string {
  return (BigInt(Math.trunc(micros)) * 1000n).toString();
}

/** Epoch seconds with millisecond precision, e.g. 1700000000.123 (Splunk HEC `time`). */
export function microsToEpochSeconds(micros: number): number {
  return Math.floor(micros / MICROS_PER_MILLI) / 1000;
}
