// Times as the API gives them (ISO-8601 UTC with microseconds), shown in UTC or the browser's zone.

/** The microseconds the API keeps but Date drops: ".123456" of "2026-11-27T12:00:00.123456Z". */
function fraction(iso: string): string {
  const match = /\.(\d+)Z?$/.exec(iso);
  return match?.[1] ? `.${match[1].padEnd(6, '0').slice(0, 6)}` : '.000000';
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "2026-11-27 12:00:00.123456" in UTC, or in the local zone with its offset ("… +01:00"). */
export function formatTime(iso: string, zone: 'utc' | 'local'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (zone === 'utc') return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction(iso)}`;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${fraction(iso)} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** The value of a datetime-local input ("2026-11-27T12:00") for an ISO instant, in the chosen zone. */
export function toInputValue(iso: string, zone: 'utc' | 'local'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  if (zone === 'utc') return iso.slice(0, 16);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The ISO instant a datetime-local input's value means in the chosen zone; null when empty or invalid. */
export function fromInputValue(value: string, zone: 'utc' | 'local'): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const date = zone === 'utc' ? new Date(`${value}Z`) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
