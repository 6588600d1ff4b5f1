// How producers' timestamps are read (docs/ingest.md, "Timestamps"). A time must say its UTC offset, or be in a format
// defined as UTC: a local time without one would be stored hours off without anyone noticing.

export type ParsedTime = { micros: number } | { error: string };

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i;
/** LogicHub's `MM/DD/YYYY HH:mm:ss` with an offset: month first (US order), as LogicHub's own examples are. */
const US = /^(\d{2})\/(\d{2})\/(\d{4})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-][\d.:]+)$/i;
/** ThoughtSpot's `yyyy/mm/dd:hh:mm:ss`, which ThoughtSpot defines as UTC. */
const THOUGHTSPOT = /^(\d{4})\/(\d{2})\/(\d{2}):(\d{2}):(\d{2}):(\d{2})$/;

/** An offset as minutes east of UTC: `Z`, `±HH`, `±HHMM`, `±HH:MM`, or `±HH.h:MM` when the two agree (`+05.5:30`). */
function offsetMinutes(raw: string): number | string {
  if (/^z$/i.test(raw)) return 0;
  const sign = raw.startsWith('-') ? -1 : 1;
  const body = raw.slice(1);
  let m = /^(\d{2}):?(\d{2})?$/.exec(body);
  if (m !== null) return sign * (Number(m[1]) * 60 + Number(m[2] ?? 0));
  m = /^(\d{1,2})\.(\d+):(\d{2})$/.exec(body);
  if (m !== null) {
    const fractionMinutes = Math.round(Number(`0.${m[2]}`) * 60);
    if (fractionMinutes === Number(m[3])) return sign * (Number(m[1]) * 60 + fractionMinutes);
    return `the UTC offset "${raw}" says ${m[1]}.${m[2]} hours and :${m[3]} minutes, which disagree; write it as ±HH:MM`;
  }
  return `cannot read the UTC offset "${raw}"; write it as ±HH:MM (e.g. +05:30)`;
}

function build(parts: string[], fraction: string | undefined, offset: number): ParsedTime {
  const [y, mo, d, h, mi, s] = parts.map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return { error: 'is not a valid date and time' };
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - offset * 60_000;
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCDate() !== d) return { error: `${y}-${mo}-${d} is not a day of the calendar` };
  const micros = fraction === undefined ? 0 : Number(fraction.slice(1).padEnd(6, '0').slice(0, 6));
  return { micros: ms * 1000 + micros };
}

/**
 * A producer's timestamp as microseconds since the epoch. Numbers are Unix time: below 1e11 seconds, below 1e14
 * milliseconds, else microseconds. Strings: ISO 8601 with `Z` or an offset (`+0000` too), LogicHub's
 * `MM/DD/YYYY HH:mm:ss±HH:MM`, ThoughtSpot's `yyyy/mm/dd:hh:mm:ss` (UTC). Anything else, or a string without an
 * offset, is an error that says what to send.
 */
export function parseVendorTime(value: unknown): ParsedTime {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0)
    return { micros: Math.round(value < 1e11 ? value * 1e6 : value < 1e14 ? value * 1e3 : value) };
  if (typeof value !== 'string' || value.trim() === '') return { error: 'is required (a timestamp with its UTC offset)' };
  const raw = value.trim();
  if (/^\d+(\.\d+)?$/.test(raw)) return parseVendorTime(Number(raw));
  let m = ISO.exec(raw);
  if (m !== null) {
    const offset = offsetMinutes(m[8] ?? 'Z');
    if (typeof offset === 'string') return { error: offset };
    return build([m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'] as string[], m[7], offset);
  }
  m = US.exec(raw);
  if (m !== null) {
    const offset = offsetMinutes(m[8] ?? '');
    if (typeof offset === 'string') return { error: offset };
    return build([m[3], m[1], m[2], m[4], m[5], m[6]] as string[], m[7], offset);
  }
  m = THOUGHTSPOT.exec(raw);
  if (m !== null) return build(m.slice(1, 7), undefined, 0);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(raw) || /^\d{2}\/\d{2}\/\d{4}/.test(raw))
    return { error: `"${raw}" has no UTC offset; add Z or ±HH:MM (a local time would be stored hours off)` };
  return { error: `"${raw}" is not a timestamp Vigil reads: use ISO 8601 with Z or ±HH:MM (docs/ingest.md)` };
}
