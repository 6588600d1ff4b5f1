import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useSession } from '../../session.context.ts';
import { ErrorState, LoadingState } from '../../ui/states.tsx';
import { formatTime } from '../../ui/time.util.ts';
import { EVENT_QUERY, type AuditEventNode, type EventAnswer } from './queries.util.ts';
import type { TextFilter } from './view-state.util.ts';

export type PivotField = TextFilter | 'actions';

interface DrawerProps {
  id: string;
  /** The row as the table has it, shown at once while the whole event loads. */
  known: AuditEventNode | undefined;
  allTenants: boolean;
  zone: 'utc' | 'local';
  onClose: () => void;
  onPivot: (field: PivotField, value: string) => void;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** One event with every field, pivots to filter by its actor, IP, action or correlation id, and its raw JSON. */
export function EventDrawer({ id, known, allTenants, zone, onClose, onPivot }: DrawerProps) {
  const { client } = useSession();
  const [loaded, setLoaded] = useState<{ id: string; event: AuditEventNode | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    client
      .request<EventAnswer>(EVENT_QUERY, { id, allTenants: allTenants || undefined }, controller.signal)
      .then((data) => {
        setError(null);
        setLoaded({ id, event: data.event });
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(err);
      });
    return () => controller.abort();
  }, [client, id, allTenants, attempt]);

  useEffect(() => {
    // Focus goes into the drawer when it opens, and back to the row it came from when it closes.
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel.current?.focus();
    return () => {
      const row = document.querySelector<HTMLElement>(`[data-event-id="${CSS.escape(id)}"]`);
      (row ?? before)?.focus();
    };
  }, [id]);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const event = loaded?.id === id ? loaded.event : (known ?? undefined);
  const notFound = loaded?.id === id && loaded.event === null;

  const pivot = (field: PivotField, value: string | null | undefined, name: string) =>
    value ? (
      <button type="button" className="pivot" onClick={() => onPivot(field, value)} aria-label={`Filter by ${name} ${value}`}>
        Filter
      </button>
    ) : null;

  return (
    <div className="drawer" role="dialog" aria-modal="false" aria-label={`Event ${id}`} ref={panel} tabIndex={-1}>
      <div className="drawer-head">
        <h2>Event details</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {error !== null && !event && <ErrorState error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      {notFound && <p className="state-error inline">This event is not in the store (or not yours to read).</p>}
      {!event && error === null && !notFound && <LoadingState label="Loading the event…" />}
      {event && (
        <>
          <dl className="fields">
            <Row label="Id">
              <span className="mono">{event.id}</span>
            </Row>
            <Row label="Time">{formatTime(event.time, zone)}</Row>
            <Row label="Observed">{formatTime(event.observedTime, zone)}</Row>
            <Row label="Stored">{event.ingestedAt ? formatTime(event.ingestedAt, zone) : null}</Row>
            <Row label="Tenant">{event.tenantId}</Row>
            <Row label="Category">{event.category}</Row>
            <Row label="Action">
              <span className="mono">{event.action}</span> {pivot('actions', event.action, 'action')}
            </Row>
            <Row label="Outcome">{event.outcome}</Row>
            <Row label="Severity">{event.severity}</Row>
            <Row label="Description">{event.description}</Row>
            <Row label="Actor">
              {event.actor.type} <span className="mono">{event.actor.id}</span>
              {event.actor.name ? ` (${event.actor.name})` : ''} {pivot('actorId', event.actor.id, 'actor')}
              {event.actor.roles.length > 0 && <div className="muted small">roles: {event.actor.roles.join(', ')}</div>}
            </Row>
            <Row label="Targets">
              {event.targets.length === 0
                ? null
                : event.targets.map((t) => (
                    <div key={`${t.type}:${t.id}`}>
                      {t.type} <span className="mono">{t.id}</span>
                      {t.name ? ` (${t.name})` : ''}
                    </div>
                  ))}
            </Row>
            <Row label="Client IP">
              {event.client?.ip ? (
                <>
                  <span className="mono">{event.client.ip}</span> {pivot('clientIp', event.client.ip, 'client IP')}
                </>
              ) : null}
            </Row>
            <Row label="User agent">{event.client?.userAgent}</Row>
            <Row label="Service">{[event.service.name, event.service.version, event.service.host].filter(Boolean).join(' · ')}</Row>
            <Row label="HTTP">
              {event.http
                ? [event.http.method, event.http.url, event.http.statusCode, event.http.operation].filter((v) => v != null).join(' ')
                : null}
            </Row>
            <Row label="Correlation id">
              {event.correlationId ? (
                <>
                  <span className="mono">{event.correlationId}</span> {pivot('correlationId', event.correlationId, 'correlation id')}
                </>
              ) : null}
            </Row>
            <Row label="Trace">
              {event.traceId ? (
                <>
                  <span className="mono">{event.traceId}</span> {pivot('traceId', event.traceId, 'trace id')}
                </>
              ) : null}
            </Row>
            <Row label="Span">{event.spanId ? <span className="mono">{event.spanId}</span> : null}</Row>
            <Row label="Chain">{event.chain ? `#${event.chain.seq} · ${event.chain.hash.slice(0, 16)}…` : null}</Row>
          </dl>
          <section aria-label="Raw JSON" className="raw">
            <div className="raw-head">
              <h3>Raw JSON</h3>
              <button type="button" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(event, null, 2))}>
                Copy JSON
              </button>
            </div>
            <pre tabIndex={0}>{JSON.stringify(event, null, 2)}</pre>
          </section>
        </>
      )}
    </div>
  );
}
