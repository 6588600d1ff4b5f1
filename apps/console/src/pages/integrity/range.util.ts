// The time range and categories of the events page's query string (`range` = 15m, 1h, 24h, 7d, 30d or `custom` with
// `from`/`to`; `categories` comma-separated), read into the absolute range a verification runs over.

export const PRESETS = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Preset = keyof typeof PRESETS;

export interface IntegrityRange {
  /** The preset, or custom. */
  kind: Preset | 'custom';
  from: string;
  to: string;
  categories: string[];
}

export type RangeResult = { ok: true; range: IntegrityRange } | { ok: false; message: string };

function isPreset(value: string): value is Preset {
  return Object.hasOwn(PRESETS, value);
}

function instant(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The range the parameters name, at `now`; 24 hours when no range is given. */
export function rangeFromParams(params: URLSearchParams, now: number): RangeResult {
  const kind = params.get('range') ?? (params.has('from') ? 'custom' : '24h');
  const categories = (params.get('categories') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (kind === 'custom') {
    const from = instant(params.get('from'));
    const to = instant(params.get('to')) ?? (params.get('to') === null ? new Date(now).toISOString() : null);
    if (from === null) return { ok: false, message: 'the custom range needs a valid “from” time (ISO-8601)' };
    if (to === null) return { ok: false, message: 'the “to” time is not a valid ISO-8601 time' };
    if (Date.parse(to) <= Date.parse(from)) return { ok: false, message: '“to” must be after “from”' };
    return { ok: true, range: { kind, from, to, categories } };
  }
  if (!isPreset(kind)) return { ok: false, message: `unknown range “${kind}”; one of ${Object.keys(PRESETS).join(', ')} or custom` };
  return { ok: true, range: { kind, from: new Date(now - PRESETS[kind]).toISOString(), to: new Date(now).toISOString(), categories } };
}

/** The query string of a range, as the events page writes it. */
export function paramsOf(range: IntegrityRange): URLSearchParams {
  const params = new URLSearchParams();
  params.set('range', range.kind);
  if (range.kind === 'custom') {
    params.set('from', range.from);
    params.set('to', range.to);
  }
  if (range.categories.length > 0) params.set('categories', range.categories.join(','));
  return params;
}
