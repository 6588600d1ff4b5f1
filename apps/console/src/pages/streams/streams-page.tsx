import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/graphql.client.ts';
import { useSession } from '../../session.context.ts';
import { Modal } from '../../ui/modal.tsx';
import { EmptyState, ErrorState, LoadingState } from '../../ui/states.tsx';
import { useVisibleInterval } from '../../ui/visible-interval.hook.ts';
import { StreamForm } from './stream-form.tsx';
import { toCreateInput, toUpdateInput, typeSpec, type FormErrors, type StreamFormState } from './stream-form.util.ts';
import { formatAgo, formatCount, formatLag, healthDisplay } from './stream-health.util.ts';
import {
  CREATE_STREAM,
  DELETE_STREAM,
  DISABLE_STREAM,
  ENABLE_STREAM,
  STREAMS_QUERY,
  TEST_STREAM,
  UPDATE_STREAM,
  type Stream,
  type StreamTestResult,
} from './streams-api.util.ts';

const REFRESH_MS = 15_000;

type Dialog = { kind: 'create' } | { kind: 'edit'; stream: Stream } | { kind: 'delete'; stream: Stream };

interface Notice {
  tone: 'ok' | 'danger' | 'neutral';
  title: string;
  lines: string[];
}

/** The tenant's SIEM streams: health at a glance, and create, edit, test, enable, disable, delete (docs/streams.md). */
export function StreamsPage() {
  const { client, me } = useSession();
  const [streams, setStreams] = useState<Stream[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [pending, setPending] = useState<Record<string, string>>({});
  const inFlight = useRef<AbortController | null>(null);

  /** Fetches the list; null when a newer fetch took over (this one was aborted). */
  const fetchStreams = useCallback(async (): Promise<{ streams: Stream[] } | { error: unknown } | null> => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    try {
      const data = await client.request<{ streams: Stream[] }>(STREAMS_QUERY, { tenantId: me.tenantId }, controller.signal);
      return { streams: [...data.streams].sort((a, b) => a.name.localeCompare(b.name)) };
    } catch (err) {
      return err instanceof DOMException && err.name === 'AbortError' ? null : { error: err };
    } finally {
      if (inFlight.current === controller) inFlight.current = null;
    }
  }, [client, me.tenantId]);
  const apply = useCallback((outcome: { streams: Stream[] } | { error: unknown } | null): void => {
    if (outcome === null) return;
    setLoading(false);
    if ('error' in outcome) setLoadError(outcome.error);
    else {
      setStreams(outcome.streams);
      setLoadError(null);
      setLoadedAt(Date.now());
    }
  }, []);
  const load = useCallback(() => {
    setLoading(true);
    void fetchStreams().then(apply);
  }, [fetchStreams, apply]);

  useEffect(() => {
    void fetchStreams().then(apply);
    return () => inFlight.current?.abort();
  }, [fetchStreams, apply]);
  // Auto-refresh while the tab is visible, but never under an open form (a refresh would not lose it, but it is noise).
  useVisibleInterval(() => {
    if (dialog === null) load();
  }, REFRESH_MS);

  const replace = (stream: Stream): void => setStreams((list) => (list ?? []).map((s) => (s.id === stream.id ? stream : s)));

  /** Runs a row's action; its button shows it is busy, the outcome goes to the notice. */
  const act = async (stream: Stream, label: string, work: () => Promise<void>): Promise<void> => {
    setPending((p) => ({ ...p, [stream.id]: label }));
    try {
      await work();
    } catch (err) {
      setNotice({ tone: 'danger', title: `${label} “${stream.name}” failed`, lines: describeError(err) });
    } finally {
      setPending(({ [stream.id]: _, ...rest }) => rest);
    }
  };

  const setEnabled = (stream: Stream, enabled: boolean): Promise<void> =>
    act(stream, enabled ? 'Enable' : 'Disable', async () => {
      const data = await client.request<Record<string, Stream>>(enabled ? ENABLE_STREAM : DISABLE_STREAM, { id: stream.id });
      const updated = data[enabled ? 'enableStream' : 'disableStream'];
      if (updated) replace(updated);
      setNotice({
        tone: 'ok',
        title: `“${stream.name}” ${enabled ? 'enabled: it catches up from where it stopped' : 'disabled: its position is kept'}`,
        lines: [],
      });
    });

  const sendTest = (stream: Stream): Promise<void> =>
    act(stream, 'Send test event', async () => {
      const { testStream: result } = await client.request<{ testStream: StreamTestResult }>(TEST_STREAM, { id: stream.id });
      setNotice({
        tone: result.ok ? 'ok' : 'danger',
        title: `Test event to “${stream.name}”: ${result.ok ? 'accepted' : 'not accepted'}`,
        lines: [`Outcome: ${result.outcome}`, `The SIEM answered: ${result.message}`, `Event id: ${result.eventId}`],
      });
    });

  const remove = async (stream: Stream): Promise<void> => {
    setDialog(null);
    await act(stream, 'Delete', async () => {
      await client.request(DELETE_STREAM, { id: stream.id });
      setStreams((list) => (list ?? []).filter((s) => s.id !== stream.id));
      setNotice({ tone: 'ok', title: `“${stream.name}” deleted, with its secrets`, lines: [] });
    });
  };

  const create = async (form: StreamFormState): Promise<FormErrors | undefined> => {
    const result = toCreateInput(form);
    if (!result.ok) return result.errors;
    const { createStream } = await client.request<{ createStream: Stream }>(CREATE_STREAM, { input: result.input });
    setStreams((list) => [...(list ?? []), createStream].sort((a, b) => a.name.localeCompare(b.name)));
    setDialog(null);
    setNotice({
      tone: 'ok',
      title: `“${createStream.name}” created`,
      lines: ['It receives your events from now on. Send a test event to check the SIEM accepts them.'],
    });
    return undefined;
  };

  const update = async (stream: Stream, form: StreamFormState): Promise<FormErrors | undefined> => {
    const result = toUpdateInput(form);
    if (!result.ok) return result.errors;
    const { updateStream } = await client.request<{ updateStream: Stream }>(UPDATE_STREAM, { id: stream.id, input: result.input });
    replace(updateStream);
    setDialog(null);
    setNotice({ tone: 'ok', title: `“${updateStream.name}” saved`, lines: [] });
    return undefined;
  };

  const newButton = (
    <button type="button" className="primary" onClick={() => setDialog({ kind: 'create' })}>
      New stream
    </button>
  );

  return (
    <section className="page streams-page" aria-labelledby="streams-title">
      <div className="page-head">
        <h1 id="streams-title">Streams</h1>
        <p className="muted page-lede">Your SIEMs: each receives only your tenant’s events. Health refreshes every 15 seconds.</p>
        <div className="page-actions">
          {newButton}
          <button type="button" onClick={() => load()} disabled={loading} aria-describedby="streams-updated">
            Refresh
          </button>
          <span className="muted small" id="streams-updated" aria-live="polite">
            {loading ? 'Refreshing…' : loadedAt !== null ? `Updated ${new Date(loadedAt).toLocaleTimeString()}` : ''}
          </span>
        </div>
      </div>

      <div aria-live="polite" className="notice-slot">
        {notice && (
          <div className={`notice notice-${notice.tone}`} role={notice.tone === 'danger' ? 'alert' : 'status'}>
            <div>
              <strong>
                <span aria-hidden="true">{notice.tone === 'ok' ? '✔ ' : notice.tone === 'danger' ? '✖ ' : ''}</span>
                {notice.title}
              </strong>
              {notice.lines.map((line) => (
                <p key={line}>{line}</p>
              ))}
            </div>
            <button type="button" className="ghost" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        )}
      </div>

      {streams === null && loadError === null && <LoadingState label="Loading streams…" />}
      {loadError !== null && (
        <ErrorState
          error={loadError}
          title={streams === null ? 'The streams could not be loaded' : 'The last refresh failed'}
          onRetry={() => load()}
        />
      )}
      {streams !== null && streams.length === 0 && (
        <EmptyState title="No streams yet">
          <p>A stream sends your audit events to your SIEM: Splunk, Datadog, Microsoft Sentinel, Elasticsearch or a webhook.</p>
          {newButton}
        </EmptyState>
      )}
      {streams !== null && streams.length > 0 && (
        <StreamsTable
          streams={streams}
          now={loadedAt ?? 0}
          pending={pending}
          onEdit={(stream) => setDialog({ kind: 'edit', stream })}
          onTest={(stream) => void sendTest(stream)}
          onEnabled={(stream, enabled) => void setEnabled(stream, enabled)}
          onDelete={(stream) => setDialog({ kind: 'delete', stream })}
        />
      )}

      {dialog?.kind === 'create' && (
        <Modal title="New stream" onClose={() => setDialog(null)}>
          <StreamForm onSubmit={create} onCancel={() => setDialog(null)} />
        </Modal>
      )}
      {dialog?.kind === 'edit' && (
        <Modal title={`Edit stream “${dialog.stream.name}”`} onClose={() => setDialog(null)}>
          <StreamForm stream={dialog.stream} onSubmit={(form) => update(dialog.stream, form)} onCancel={() => setDialog(null)} />
        </Modal>
      )}
      {dialog?.kind === 'delete' && (
        <Modal title={`Delete stream “${dialog.stream.name}”?`} onClose={() => setDialog(null)} size="small">
          <p>
            The stream <strong>{dialog.stream.name}</strong> ({typeSpec(dialog.stream.type)?.label ?? dialog.stream.type}) and its secrets
            are removed. Events stop reaching that SIEM. This cannot be undone.
          </p>
          <div className="form-actions">
            <button type="button" className="danger" onClick={() => void remove(dialog.stream)}>
              Delete
            </button>
            <button type="button" onClick={() => setDialog(null)} autoFocus>
              Cancel
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}

function describeError(err: unknown): string[] {
  if (err instanceof ApiError) return [err.message, `Code: ${err.code}${err.field ? ` · field: ${err.field}` : ''}`];
  return [err instanceof Error ? err.message : String(err)];
}

interface TableProps {
  streams: Stream[];
  /** When the list was loaded: the "ago" times are as of then. */
  now: number;
  pending: Record<string, string>;
  onEdit: (stream: Stream) => void;
  onTest: (stream: Stream) => void;
  onEnabled: (stream: Stream, enabled: boolean) => void;
  onDelete: (stream: Stream) => void;
}

function StreamsTable({ streams, now, pending, onEdit, onTest, onEnabled, onDelete }: TableProps) {
  return (
    <div className="table-scroll" role="region" aria-label="Streams table (scrolls sideways on narrow screens)" tabIndex={0}>
      <table className="data-table streams-table" aria-label="Streams">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Enabled</th>
            <th scope="col">Health</th>
            <th scope="col">Lag</th>
            <th scope="col" className="num">
              Delivered 24 h
            </th>
            <th scope="col" className="num">
              Dead-lettered
            </th>
            <th scope="col">Last success</th>
            <th scope="col">Last error</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {streams.map((stream) => {
            const health = healthDisplay(stream.health, stream.enabled);
            const busy = pending[stream.id];
            const h = stream.health;
            return (
              <tr key={stream.id} aria-busy={busy !== undefined}>
                <th scope="row" data-label="Name">
                  {stream.name}
                  {stream.secretNames.length > 0 && <div className="muted small">secrets set: {stream.secretNames.join(', ')}</div>}
                </th>
                <td data-label="Type">{typeSpec(stream.type)?.label ?? stream.type}</td>
                <td data-label="Enabled">{stream.enabled ? 'Yes' : 'No'}</td>
                <td data-label="Health">
                  <span className={`badge tone-${health.tone}`}>
                    <span aria-hidden="true">{health.symbol} </span>
                    {health.label}
                  </span>
                  {health.reason && <div className="small">{health.reason}</div>}
                  {health.recovery && <div className="muted small">{health.recovery}</div>}
                </td>
                <td data-label="Lag">{formatLag(h)}</td>
                <td data-label="Delivered 24 h" className="num">
                  {h ? formatCount(h.delivered24h) : '—'}
                </td>
                <td data-label="Dead-lettered" className="num">
                  {h ? formatCount(h.deadLettered) : '—'}
                </td>
                <td data-label="Last success">
                  {h?.lastSuccessAt ? (
                    <time dateTime={h.lastSuccessAt} title={h.lastSuccessAt}>
                      {formatAgo(h.lastSuccessAt, now)}
                    </time>
                  ) : (
                    'never'
                  )}
                </td>
                <td data-label="Last error" className="last-error">
                  {h?.lastError ? (
                    <>
                      {h.lastErrorAt && (
                        <time dateTime={h.lastErrorAt} className="muted small">
                          {formatAgo(h.lastErrorAt, now)}:{' '}
                        </time>
                      )}
                      <span className="mono">{h.lastError}</span>
                    </>
                  ) : (
                    'none'
                  )}
                </td>
                <td data-label="Actions">
                  <div className="row-actions" role="group" aria-label={`Actions for ${stream.name}`}>
                    <button type="button" onClick={() => onEdit(stream)} disabled={busy !== undefined}>
                      Edit
                    </button>
                    <button type="button" onClick={() => onTest(stream)} disabled={busy !== undefined}>
                      Send test event
                    </button>
                    {stream.enabled ? (
                      <button type="button" onClick={() => onEnabled(stream, false)} disabled={busy !== undefined}>
                        Disable
                      </button>
                    ) : (
                      <button type="button" onClick={() => onEnabled(stream, true)} disabled={busy !== undefined}>
                        Enable
                      </button>
                    )}
                    <button type="button" className="danger" onClick={() => onDelete(stream)} disabled={busy !== undefined}>
                      Delete
                    </button>
                    {busy !== undefined && (
                      <span role="status" className="muted small">
                        {busy}…
                      </span>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
