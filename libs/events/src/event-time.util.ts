// Vigil timestamps are epoch microseconds held in a JS number (exact up to 2^53 µs, year 2255).

const MICROS_PER_SECOND = 1_000_000;
/**
 * The seconds formatted last (`2023-11-14T22:13:20.`), a few slots chosen by the second: the events of a batch mostly
 * share their seconds, but each event has two times (`time` and `observedTime`) that often fall in different seconds,
 * and a single slot then missed on every call.
 */
const SLOTS = 8;
const cachedSeconds = new Float64Array(SLOTS).fill(Number.NaN);
const cachedPrefixes = new Array<string>(SLOTS).fill('');

/**
 * ISO-8601 UTC with microsecond precision, e.g. `2023-11-14T22:13:20.123456Z`: what a SIEM's native copy and the
 * store's rows spell a time as. Date formats each second once rather than once per event (about 1.8 µs a call).
 */
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
