// The events view, as the URL holds it: every filter the API has, the time range, the time zone, the order, the
// live tail and the open event. parseView and viewParams are inverses, so a copied URL reopens the same view.

export const RELATIVE_RANGES = {
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 60 * 60_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 24 * 60 * 60_000 },
} as const;

export type RelativeRange = keyof typeof RELATIVE_RANGES;
export type RangeKey = RelativeRange | 'custom';
export type TimeZone = 'utc' | 'local';
export type Outcome = 'SUCCESS' | 'FAILURE' | 'UNKNOWN';
export type Order = 'NEWEST_FIRST' | 'OLDEST_FIRST';

/** The free-form filters, by the API's names. */
export const TEXT_FILTERS = [
  'text',
  'actorId',
  'actorName',
  'targetType',
  'targetId',
  'clientIp',
  'service',
  'correlationId',
  'traceId',
] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

export interface EventsView {
  range: RangeKey;
  /** ISO-8601, with range = custom. */
  from: string | null;
  to: string | null;
  tz: TimeZone;
  filters: Partial<Record<TextFilter, string>>;
  actions: string[];
  categories: string[];
  outcome: Outcome | null;
  order: Order;
  live: boolean;
  allTenants: boolean;
  /** The event open in the drawer. */
  event: string | null;
}

const DEFAULT_RANGE: RelativeRange = '24h';

export const DEFAULT_VIEW: EventsView = {
  range: DEFAULT_RANGE,
  from: null,
  to: null,
  tz: 'utc',
  filters: {},
  actions: [],
  categories: [],
  outcome: null,
  order: 'NEWEST_FIRST',
  live: false,
  allTenants: false,
  event: null,
};

const OUTCOMES: readonly Outcome[] = ['SUCCESS', 'FAILURE', 'UNKNOWN'];

function isRange(value: string | null): value is RangeKey {
  return value !== null && (value === 'custom' || value in RELATIVE_RANGES);
}

function validIso(value: string | null): string | null {
  if (value === null || value.trim() === '') return null;
  return Number.isNaN(Date.parse(value)) ? null : new Date(value).toISOString();
}

/** Comma-separated list, trimmed, empties and duplicates dropped. */
export function splitList(value: string | null | undefined): string[] {
  if (!value) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  ];
}

export function parseView(params: URLSearchParams): EventsView {
  const range = params.get('range');
  const from = validIso(params.get('from'));
  const to = validIso(params.get('to'));
  const filters: Partial<Record<TextFilter, string>> = {};
  for (const name of TEXT_FILTERS) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  const outcome = params.get('outcome')?.toUpperCase() ?? null;
  // A custom range needs its start; without one the view falls back to the default range.
  const customOk = from !== null;
  return {
    range: isRange(range) ? (range === 'custom' && !customOk ? DEFAULT_VIEW.range : range) : from !== null ? 'custom' : DEFAULT_VIEW.range,
    from: customOk ? from : null,
    to: customOk ? to : null,
    tz: params.get('tz') === 'local' ? 'local' : 'utc',
    filters,
    actions: splitList(params.get('actions')),
    categories: splitList(params.get('categories')),
    outcome: OUTCOMES.find((o) => o === outcome) ?? null,
    order: params.get('order') === 'OLDEST_FIRST' ? 'OLDEST_FIRST' : 'NEWEST_FIRST',
    live: params.get('live') === '1',
    allTenants: params.get('allTenants') === '1',
    event: params.get('event')?.trim() || null,
  };
}

/** The view as query parameters; defaults are left out so URLs stay short. */
export function viewParams(view: EventsView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.range !== DEFAULT_VIEW.range) params.set('range', view.range);
  if (view.range === 'custom') {
    if (view.from) params.set('from', view.from);
    if (view.to) params.set('to', view.to);
  }
  if (view.tz !== 'utc') params.set('tz', view.tz);
  for (const name of TEXT_FILTERS) {
    const value = view.filters[name];
    if (value) params.set(name, value);
  }
  if (view.actions.length > 0) params.set('actions', view.actions.join(','));
  if (view.categories.length > 0) params.set('categories', view.categories.join(','));
  if (view.outcome) params.set('outcome', view.outcome);
  if (view.order !== 'NEWEST_FIRST') params.set('order', view.order);
  if (view.live) params.set('live', '1');
  if (view.allTenants) params.set('allTenants', '1');
  if (view.event) params.set('event', view.event);
  return params;
}

/** The absolute window of a view at `now`: a relative range ends now, a custom one where it says (or now). */
export function resolveRange(view: EventsView, now: number): { from: string; to: string } {
  if (view.range === 'custom' && view.from) {
    return { from: view.from, to: view.to ?? new Date(now).toISOString() };
  }
  const span = RELATIVE_RANGES[view.range === 'custom' ? DEFAULT_RANGE : view.range].ms;
  return { from: new Date(now - span).toISOString(), to: new Date(now).toISOString() };
}

/** The API's EventFilter input for a view at `now`. */
export function apiFilter(view: EventsView, now: number): Record<string, unknown> {
  const { from, to } = resolveRange(view, now);
  const filter: Record<string, unknown> = { from, to };
  for (const name of TEXT_FILTERS) {
    const value = view.filters[name];
    if (value) filter[name] = value;
  }
  if (view.actions.length > 0) filter['actions'] = view.actions;
  if (view.categories.length > 0) filter['categories'] = view.categories;
  if (view.outcome) filter['outcome'] = view.outcome;
  if (view.allTenants) filter['allTenants'] = true;
  return filter;
}

/** The live tail's filter: the same criteria without the time range (LiveEventFilter). */
export function liveFilter(view: EventsView): Record<string, unknown> {
  const { from: _from, to: _to, ...rest } = apiFilter(view, 0);
  return rest;
}

/** The export endpoint's query string for a view at `now` (lists comma-separated, as it accepts). */
export function exportQuery(view: EventsView, now: number, format: 'csv' | 'ndjson'): URLSearchParams {
  const params = new URLSearchParams({ format });
  for (const [name, value] of Object.entries(apiFilter(view, now))) {
    if (Array.isArray(value)) params.set(name, value.join(','));
    else params.set(name, String(value));
  }
  // Always: the export's own default order is oldest first, the view's newest first.
  params.set('order', view.order);
  return params;
}

export type Bucket = 'MINUTE' | 'HOUR' | 'DAY';

/** A histogram bucket giving at most a few hundred bars for the span (the API allows 10,080). */
export function bucketFor(from: string, to: string): Bucket {
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 6 * 60 * 60_000) return 'MINUTE';
  if (span <= 8 * 24 * 60 * 60_000) return 'HOUR';
  return 'DAY';
}

export const BUCKET_MS: Record<Bucket, number> = { MINUTE: 60_000, HOUR: 60 * 60_000, DAY: 24 * 60 * 60_000 };

/** A view narrowed by one more criterion (a pivot): the drawer closes, the rest stays. */
export function pivot(view: EventsView, name: TextFilter | 'actions', value: string): EventsView {
  if (name === 'actions') return { ...view, actions: [value], event: null };
  return { ...view, filters: { ...view.filters, [name]: value }, event: null };
}
