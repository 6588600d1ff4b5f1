import { useId, useState, type FormEvent } from 'react';
import { fromInputValue, toInputValue } from '../../ui/time.util.ts';
import {
  DEFAULT_VIEW,
  RELATIVE_RANGES,
  resolveRange,
  splitList,
  type EventsView,
  type Outcome,
  type RangeKey,
  type TextFilter,
} from './view-state.util.ts';

interface Draft {
  range: RangeKey;
  from: string;
  to: string;
  filters: Partial<Record<TextFilter, string>>;
  actions: string;
  categories: string;
  outcome: string;
}

function draftOf(view: EventsView): Draft {
  const window = view.range === 'custom' ? { from: view.from ?? '', to: view.to ?? '' } : resolveRange(view, Date.now());
  return {
    range: view.range,
    from: window.from ? toInputValue(window.from, view.tz) : '',
    to: window.to ? toInputValue(window.to, view.tz) : '',
    filters: { ...view.filters },
    actions: view.actions.join(', '),
    categories: view.categories.join(', '),
    outcome: view.outcome ?? '',
  };
}

const PRIMARY: { name: TextFilter; label: string; placeholder: string }[] = [
  { name: 'text', label: 'Search text', placeholder: 'words in the description or attributes' },
  { name: 'actorId', label: 'Actor id', placeholder: 'user-42' },
  { name: 'clientIp', label: 'Client IP', placeholder: '10.1.2.3 or 10.1.0.0/16' },
];
const MORE: { name: TextFilter; label: string }[] = [
  { name: 'actorName', label: 'Actor name' },
  { name: 'targetType', label: 'Target type' },
  { name: 'targetId', label: 'Target id' },
  { name: 'service', label: 'Service' },
  { name: 'correlationId', label: 'Correlation id' },
  { name: 'traceId', label: 'Trace id' },
];

/**
 * The time range, the zone and every filter of the API. Nothing is sent until Apply (or Enter), so typing does not
 * fire a query per key; the view (and the URL) changes on Apply only. The time range and the zone apply at once.
 */
export function FilterBar({
  view,
  onChange,
  error,
}: {
  view: EventsView;
  onChange: (view: EventsView) => void;
  error: { field?: string; message: string } | null;
}) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>(() => draftOf(view));
  const [viewSeen, setViewSeen] = useState(view);
  if (viewSeen !== view) {
    // The view changed from outside (a pivot, back/forward): the form shows it.
    setViewSeen(view);
    setDraft(draftOf(view));
  }
  const [rangeError, setRangeError] = useState<string | null>(null);

  const apply = (e?: FormEvent): void => {
    e?.preventDefault();
    let from: string | null = null;
    let to: string | null = null;
    if (draft.range === 'custom') {
      from = fromInputValue(draft.from, view.tz);
      to = draft.to.trim() === '' ? null : fromInputValue(draft.to, view.tz);
      if (from === null) return setRangeError('Give the start of the range');
      if (draft.to.trim() !== '' && to === null) return setRangeError('The end of the range is not a valid time');
      if (to !== null && Date.parse(to) <= Date.parse(from)) return setRangeError('The end must be after the start');
    }
    setRangeError(null);
    const filters: Partial<Record<TextFilter, string>> = {};
    for (const [name, value] of Object.entries(draft.filters) as [TextFilter, string | undefined][]) {
      if (value && value.trim()) filters[name] = value.trim();
    }
    onChange({
      ...view,
      range: draft.range,
      from,
      to,
      filters,
      actions: splitList(draft.actions),
      categories: splitList(draft.categories),
      outcome: (draft.outcome || null) as Outcome | null,
      event: null,
    });
  };

  const setFilter = (name: TextFilter, value: string): void => setDraft((d) => ({ ...d, filters: { ...d.filters, [name]: value } }));
  const fieldError = (name: string): string | null => (error && error.field === `filter.${name}` ? error.message : null);

  const textInput = (name: TextFilter, label: string, placeholder?: string) => {
    const problem = fieldError(name);
    return (
      <div className="field" key={name}>
        <label htmlFor={`${id}-${name}`}>{label}</label>
        <input
          id={`${id}-${name}`}
          value={draft.filters[name] ?? ''}
          onChange={(e) => setFilter(name, e.target.value)}
          placeholder={placeholder}
          maxLength={512}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-${name}-error` : undefined}
        />
        {problem && (
          <span id={`${id}-${name}-error`} className="field-error">
            {problem}
          </span>
        )}
      </div>
    );
  };

  return (
    <form role="search" aria-label="Event filters" className="filter-bar" onSubmit={apply}>
      <div className="filter-row">
        <div className="field">
          <label htmlFor={`${id}-range`}>Time range</label>
          <select
            id={`${id}-range`}
            value={draft.range}
            onChange={(e) => {
              const range = e.target.value as RangeKey;
              setDraft((d) => ({ ...d, range }));
              if (range !== 'custom') onChange({ ...view, range, from: null, to: null, event: null });
            }}
          >
            {Object.entries(RELATIVE_RANGES).map(([key, { label }]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
            <option value="custom">Custom</option>
          </select>
        </div>
        {draft.range === 'custom' && (
          <>
            <div className="field">
              <label htmlFor={`${id}-from`}>From</label>
              <input
                id={`${id}-from`}
                type="datetime-local"
                value={draft.from}
                onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))}
                required
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-to`}>To</label>
              <input
                id={`${id}-to`}
                type="datetime-local"
                value={draft.to}
                onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))}
              />
            </div>
          </>
        )}
        <div className="field">
          <label htmlFor={`${id}-tz`}>Time zone</label>
          <select id={`${id}-tz`} value={view.tz} onChange={(e) => onChange({ ...view, tz: e.target.value === 'local' ? 'local' : 'utc' })}>
            <option value="utc">UTC</option>
            <option value="local">Local</option>
          </select>
        </div>
        {PRIMARY.map((f) => textInput(f.name, f.label, f.placeholder))}
        <div className="field">
          <label htmlFor={`${id}-actions`}>Actions</label>
          <input
            id={`${id}-actions`}
            value={draft.actions}
            onChange={(e) => setDraft((d) => ({ ...d, actions: e.target.value }))}
            placeholder="user.login.*, role.granted"
            maxLength={2048}
            aria-invalid={fieldError('actions') ? true : undefined}
          />
          {fieldError('actions') && <span className="field-error">{fieldError('actions')}</span>}
        </div>
        <div className="field">
          <label htmlFor={`${id}-outcome`}>Outcome</label>
          <select id={`${id}-outcome`} value={draft.outcome} onChange={(e) => setDraft((d) => ({ ...d, outcome: e.target.value }))}>
            <option value="">Any</option>
            <option value="SUCCESS">Success</option>
            <option value="FAILURE">Failure</option>
            <option value="UNKNOWN">Unknown</option>
          </select>
        </div>
      </div>
      <details className="more-filters" open={MORE.some((f) => view.filters[f.name]) || view.categories.length > 0 || undefined}>
        <summary>More filters</summary>
        <div className="filter-row">
          <div className="field">
            <label htmlFor={`${id}-categories`}>Categories</label>
            <input
              id={`${id}-categories`}
              value={draft.categories}
              onChange={(e) => setDraft((d) => ({ ...d, categories: e.target.value }))}
              placeholder="authentication, role-privilege"
              maxLength={2048}
            />
          </div>
          {MORE.map((f) => textInput(f.name, f.label))}
        </div>
      </details>
      {rangeError && (
        <p className="field-error" role="alert">
          {rangeError}
        </p>
      )}
      <div className="filter-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            const reset = { ...DEFAULT_VIEW, tz: view.tz, allTenants: view.allTenants };
            setDraft(draftOf(reset));
            onChange(reset);
          }}
        >
          Reset
        </button>
      </div>
    </form>
  );
}
