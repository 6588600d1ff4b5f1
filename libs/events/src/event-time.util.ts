// Vigil timestamps are epoch microseconds held in a JS number (exact up to 2^53 µs, year 2255).

const MICROS_PER_SECOND = 1_000_000;
/** The largest distance from the epoch a Date holds, in milliseconds (ECMAScript's time range). */
const MAX_DATE_MILLIS = 8.64e15;
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
  const fraction = Math.floor(micros - second * MICROS_PER_SECOND);
  return `${secondPrefix(second)}${String(fraction).padStart(6, '0')}Z`;
}

/**
 * ISO-8601 UTC with millisecond precision, e.g. `2023-11-14T22:13:20.123Z`: exactly what `new Date(Math.floor(micros /
 * 1000)).toISOString()` gives (a Datadog entry's `date`), with each second formatted once as microsToIso does.
 */
export function microsToIsoMillis(micros: number): string {
  const second = Math.floor(micros / MICROS_PER_SECOND);
  const epochMillis = Math.floor(micros / 1000);
  const millis = epochMillis - second * 1000;
  // Two divisions of a float near 2^53 could round to different seconds, and past Date's range (±8.64e15 ms) its
  // second's prefix would still format: Date says these itself (or throws, as it does).
  if (!(millis >= 0 && millis < 1000 && Math.abs(epochMillis) <= MAX_DATE_MILLIS)) return new Date(epochMillis).toISOString();
  return `${secondPrefix(second)}${String(millis).padStart(3, '0')}Z`;
}

/** `2023-11-14T22:13:20.` for an epoch second, from the slots' cache. */
function secondPrefix(second: number): string {
  const slot = ((second % SLOTS) + SLOTS) % SLOTS;
  if (cachedSeconds[slot] === second) return cachedPrefixes[slot] as string;
  // Date's own formatting (years beyond 9999 and before 0 included), once per second rather than once per event.
  const iso = new Date(second * 1000).toISOString();
  const prefix = iso.slice(0, iso.length - 4);
  cachedPrefixes[slot] = prefix;
  cachedSeconds[slot] = second;
  return prefix;
}
