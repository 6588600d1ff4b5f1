import type { TopEntry } from './queries.util.ts';

export interface TopPanel {
  title: string;
  /** What a click filters by, for the button's name. */
  noun: string;
  entries: TopEntry[];
  onPick: (value: string) => void;
}

/** The most frequent actions, actors and client IPs of the range; each entry narrows the view to it. */
export function TopPanels({ panels, loading }: { panels: TopPanel[]; loading: boolean }) {
  return (
    <div className="top-panels" aria-busy={loading || undefined}>
      {panels.map((panel) => {
        const max = Math.max(1, ...panel.entries.map((e) => e.count));
        return (
          <section key={panel.title} className="top-panel card" aria-label={panel.title}>
            <h2>{panel.title}</h2>
            {panel.entries.length === 0 ? (
              <p className="muted small">{loading ? 'Loading…' : 'None in this range'}</p>
            ) : (
              <ol>
                {panel.entries.map((entry) => (
                  <li key={entry.key ?? '(none)'}>
                    {entry.key === null ? (
                      <span className="muted">(none)</span>
                    ) : (
                      <button
                        type="button"
                        className="link top-entry"
                        onClick={() => entry.key !== null && panel.onPick(entry.key)}
                        title={`Filter by ${panel.noun} ${entry.key}`}
                      >
                        {entry.key}
                      </button>
                    )}
                    <span className="top-count">{entry.count.toLocaleString()}</span>
                    <span className="top-bar" style={{ width: `${(entry.count / max) * 100}%` }} aria-hidden="true" />
                  </li>
                ))}
              </ol>
            )}
          </section>
        );
      })}
    </div>
  );
}
