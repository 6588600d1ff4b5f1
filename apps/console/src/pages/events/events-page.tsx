import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api/graphql.client.ts';
import { capabilities } from '../../auth/session.util.ts';
import { hrefFor } from '../../routing/route.util.ts';
import { useSession } from '../../session.context.ts';
import { Link } from '../../ui/link.tsx';
import { EmptyState, ErrorState, LoadingState } from '../../ui/states.tsx';
import { formatBytes, plural } from '../../ui/format.util.ts';
import { formatTime } from '../../ui/time.util.ts';
import { EventDrawer, type PivotField } from './event-drawer.tsx';
import { EventsTable } from './events-table.tsx';
import { downloadExport, exportFileName, type ExportProgress } from './export-download.util.ts';
import { FilterBar } from './filter-bar.tsx';
import { fillBuckets, Histogram } from './histogram.tsx';
import { useLiveTail } from './live-tail.hook.ts';
import { EVENTS_QUERY, OVERVIEW_QUERY, PAGE_SIZE, type AuditEventNode, type EventsAnswer, type OverviewAnswer } from './queries.util.ts';
import { TopPanels } from './top-panels.tsx';
import {
  apiFilter,
  bucketFor,
  exportQuery,
  liveFilter,
  parseView,
  pivot,
  resolveRange,
  viewParams,
  type EventsView,
} from './view-state.util.ts';

/** Rows the live tail adds above the loaded pages; past them it counts what arrived and offers a refresh. */
const LIVE_MAX_ROWS = 1_000;

const NO_LIVE_ROWS: { rows: AuditEventNode[]; overflow: number } = { rows: [], overflow: 0 };

interface Page {
  rows: AuditEventNode[];
  endCursor: string | null;
  hasMore: boolean;
}

/** What changes the result set: everything but the open event, the zone and the live switch. */
function queryKeyOf(view: EventsView): string {
  return viewParams({ ...view, event: null, tz: 'utc', live: false }).toString();
}

export function EventsPage({ params }: { params: URLSearchParams }) {
  const { client, me, credential, navigate } = useSession();
  const paramsKey = params.toString();
  const view = useMemo(() => parseView(new URLSearchParams(paramsKey)), [paramsKey]);
  const caps = capabilities(me);
  const setView = useCallback((next: EventsView) => navigate(`${hrefFor('events', viewParams(next))}`), [navigate]);

  // The window's end is fixed when the query changes (or on Refresh), so the table, the histogram and the export
  // all describe the same events, and later pages keep the window the first page had.
  const queryKey = queryKeyOf(view);
  const [anchor, setAnchor] = useState(() => ({ key: queryKey, now: Date.now() }));
  if (anchor.key !== queryKey) setAnchor({ key: queryKey, now: Date.now() });
  const now = anchor.key === queryKey ? anchor.now : Date.now();
  const filter = useMemo(() => apiFilter(view, now), [view, now]);
  const range = useMemo(() => resolveRange(view, now), [view, now]);

  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const requestRef = useRef(0);

  useEffect(() => {
    const controller = new AbortController();
    const request = ++requestRef.current;
    setPage(null);
    setError(null);
    client
      .request<EventsAnswer>(EVENTS_QUERY, { filter, first: PAGE_SIZE, order: view.order }, controller.signal)
      .then((data) => {
        if (request !== requestRef.current) return;
        setPage({
          rows: data.events.edges.map((e) => e.node),
          endCursor: data.events.pageInfo.endCursor,
          hasMore: data.events.pageInfo.hasNextPage,
        });
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted && request === requestRef.current) setError(err);
      });
    return () => controller.abort();
  }, [client, filter, view.order]);

  const loadMore = useCallback(() => {
    if (!page?.hasMore || !page.endCursor || loadingMore) return;
    const request = requestRef.current;
    setLoadingMore(true);
    client
      .request<EventsAnswer>(EVENTS_QUERY, { filter, first: PAGE_SIZE, after: page.endCursor, order: view.order })
      .then((data) => {
        if (request !== requestRef.current) return;
        setPage((current) => {
          if (!current) return current;
          const seen = new Set(current.rows.map((r) => r.id));
          const more = data.events.edges.map((e) => e.node).filter((n) => !seen.has(n.id));
          return { rows: [...current.rows, ...more], endCursor: data.events.pageInfo.endCursor, hasMore: data.events.pageInfo.hasNextPage };
        });
      })
      .catch((err: unknown) => {
        if (request === requestRef.current) setError(err);
      })
      .finally(() => setLoadingMore(false));
  }, [client, filter, page, loadingMore, view.order]);

  // The histogram and the top panels: one request, three aggregations.
  const bucket = bucketFor(range.from, range.to);
  const [overview, setOverview] = useState<OverviewAnswer | null>(null);
  const [overviewError, setOverviewError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    setOverview(null);
    setOverviewError(null);
    client
      .request<OverviewAnswer>(OVERVIEW_QUERY, { filter, bucket }, controller.signal)
      .then(setOverview)
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setOverviewError(err);
      });
    return () => controller.abort();
  }, [client, filter, bucket]);

  // The live tail: newest first over a range that ends now (a range that ended has nothing new to show). Its rows sit
  // above the loaded pages (those already loaded show once), belong to the query they arrived for (another filter
  // starts without them; a reload of the same query keeps them), and never push loaded rows out, so paging on from
  // the last cursor leaves no gap.
  const liveAllowed = (view.range !== 'custom' || view.to === null) && view.order === 'NEWEST_FIRST';
  const liveFilterValue = useMemo(() => liveFilter(view), [view]);
  const [liveRows, setLiveRows] = useState<{ key: string; rows: AuditEventNode[]; overflow: number }>({
    key: queryKey,
    rows: [],
    overflow: 0,
  });
  const onLiveEvent = useCallback(
    (event: AuditEventNode) =>
      setLiveRows((prev) => {
        const current = prev.key === queryKey ? prev : { key: queryKey, rows: [], overflow: 0 };
        if (current.rows.some((r) => r.id === event.id)) return current;
        if (current.rows.length >= LIVE_MAX_ROWS) return { ...current, overflow: current.overflow + 1 };
        return { ...current, rows: [event, ...current.rows] };
      }),
    [queryKey],
  );
  const live = useLiveTail(view.live && liveAllowed, credential, JSON.stringify(liveFilterValue), liveFilterValue, onLiveEvent);
  // Each (re)connection starts the window again at that moment: what happened while the tail was not connected (before
  // it was switched on, during a network drop or a token renewal) comes from the store, what follows from the tail.
  useEffect(() => {
    if (live.status === 'connected') setAnchor((a) => ({ key: a.key, now: Date.now() }));
  }, [live.status]);
  const shownLive = liveRows.key === queryKey ? liveRows : NO_LIVE_ROWS;
  /** Refresh: the window ends now, and the live rows (now in the store, or soon) give way to it. */
  const refresh = useCallback(() => {
    setLiveRows({ key: queryKey, rows: [], overflow: 0 });
    setAnchor({ key: queryKey, now: Date.now() });
  }, [queryKey]);
  const rows = useMemo(() => {
    if (page === null) return null;
    const loaded = new Set(page.rows.map((r) => r.id));
    return [...shownLive.rows.filter((r) => !loaded.has(r.id)), ...page.rows];
  }, [page, shownLive.rows]);
  const newIds = useMemo(() => new Set(shownLive.rows.map((r) => r.id)), [shownLive.rows]);

  // Export of exactly this view.
  const [exporting, setExporting] = useState<{ format: 'csv' | 'ndjson'; progress: ExportProgress; controller: AbortController } | null>(
    null,
  );
  const [exportResult, setExportResult] = useState<string | null>(null);
  const runExport = (format: 'csv' | 'ndjson'): void => {
    const controller = new AbortController();
    setExportResult(null);
    setExporting({ format, progress: { bytes: 0, lines: 0 }, controller });
    downloadExport({
      url: `/v1/events/export?${exportQuery(view, now, format).toString()}`,
      headers: client.authHeaders(),
      fileName: exportFileName(range.from, range.to, format),
      signal: controller.signal,
      onProgress: (progress) => setExporting((e) => (e ? { ...e, progress } : e)),
    })
      .then((p) =>
        setExportResult(
          `Exported ${(format === 'csv' ? Math.max(0, p.lines - 1) : p.lines).toLocaleString()} events (${formatBytes(p.bytes)})`,
        ),
      )
      .catch((err: unknown) => {
        setExportResult(
          controller.signal.aborted ? 'Export cancelled' : `Export failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      })
      .finally(() => setExporting(null));
  };

  const onPivot = useCallback((field: PivotField, value: string) => setView(pivot(view, field, value)), [setView, view]);
  const closeDrawer = useCallback(() => setView({ ...view, event: null }), [setView, view]);
  const formatStart = useCallback((ms: number) => formatTime(new Date(ms).toISOString(), view.tz).replace(/:\d{2}\.\d{6}/, ''), [view.tz]);
  const zoom = useCallback(
    (from: number, to: number) =>
      setView({ ...view, range: 'custom', from: new Date(from).toISOString(), to: new Date(to).toISOString(), event: null }),
    [setView, view],
  );

  const filterError =
    error instanceof ApiError && error.code === 'BAD_USER_INPUT'
      ? { message: error.message, ...(error.field ? { field: error.field } : {}) }
      : null;
  const selected = view.event ? rows?.find((r) => r.id === view.event) : undefined;
  const integrityParams = new URLSearchParams();
  for (const name of ['range', 'from', 'to', 'categories']) {
    const value = params.get(name);
    if (value) integrityParams.set(name, value);
  }

  return (
    <div className={`events-page${view.event ? ' with-drawer' : ''}`}>
      <h1 className="visually-hidden">Events</h1>
      <FilterBar view={view} onChange={setView} error={filterError} />
      <div className="toolbar">
        <label className="switch">
          <input
            type="checkbox"
            checked={view.live}
            disabled={!liveAllowed}
            onChange={(e) => setView({ ...view, live: e.target.checked })}
          />
          Live tail
        </label>
        <LiveStatus state={live} allowed={liveAllowed} on={view.live} />
        <label className="switch">
          Order
          <select
            value={view.order}
            onChange={(e) => setView({ ...view, order: e.target.value === 'OLDEST_FIRST' ? 'OLDEST_FIRST' : 'NEWEST_FIRST' })}
          >
            <option value="NEWEST_FIRST">Newest first</option>
            <option value="OLDEST_FIRST">Oldest first</option>
          </select>
        </label>
        {caps.allTenants && (
          <label className="switch">
            <input type="checkbox" checked={view.allTenants} onChange={(e) => setView({ ...view, allTenants: e.target.checked })} />
            All tenants
          </label>
        )}
        <span className="spacer" />
        <button type="button" onClick={refresh}>
          Refresh
        </button>
        <button type="button" onClick={() => runExport('csv')} disabled={exporting !== null}>
          Export CSV
        </button>
        <button type="button" onClick={() => runExport('ndjson')} disabled={exporting !== null}>
          Export NDJSON
        </button>
        {caps.integrity && <Link href={hrefFor('integrity', integrityParams)}>Verify integrity of this range</Link>}
      </div>
      <div role="status" aria-live="polite" className="export-status">
        {exporting && (
          <span>
            Exporting {exporting.format.toUpperCase()}… {formatBytes(exporting.progress.bytes)}{' '}
            <button type="button" onClick={() => exporting.controller.abort()}>
              Cancel export
            </button>
          </span>
        )}
        {!exporting && exportResult}
      </div>
      <p className="muted small range-line">
        {formatTime(range.from, view.tz)} → {formatTime(range.to, view.tz)}
      </p>
      <div className="overview">
        {overviewError !== null ? (
          <ErrorState error={overviewError} title="The counts could not be loaded" />
        ) : overview ? (
          <Histogram
            bars={fillBuckets(overview.eventCounts.counts, range.from, range.to, bucket)}
            bucket={bucket}
            total={overview.eventCounts.counts.reduce((sum, c) => sum + c.count, 0)}
            truncated={overview.eventCounts.truncated}
            formatStart={formatStart}
            onZoom={zoom}
          />
        ) : (
          <LoadingState label="Counting events…" />
        )}
        <TopPanels
          loading={overview === null && overviewError === null}
          panels={[
            {
              title: 'Top actions',
              noun: 'action',
              entries: overview?.topActions ?? [],
              onPick: (v) => setView(pivot(view, 'actions', v)),
            },
            { title: 'Top actors', noun: 'actor', entries: overview?.topActors ?? [], onPick: (v) => setView(pivot(view, 'actorId', v)) },
            {
              title: 'Top client IPs',
              noun: 'client IP',
              entries: overview?.topIps ?? [],
              onPick: (v) => setView(pivot(view, 'clientIp', v)),
            },
          ]}
        />
      </div>
      <div className="results">
        {error !== null && !filterError && <ErrorState error={error} onRetry={() => setAnchor({ key: queryKey, now: Date.now() })} />}
        {filterError && (
          <p className="state-error inline" role="alert">
            {filterError.message}
          </p>
        )}
        {page === null && error === null && <LoadingState label="Loading events…" />}
        {rows !== null && rows.length === 0 && (
          <EmptyState title="No events match">
            <p className="muted">Widen the time range or remove a filter.</p>
          </EmptyState>
        )}
        {page !== null && rows !== null && rows.length > 0 && (
          <>
            <p role="status" className="small muted count-line">
              Showing {plural(rows.length, 'event')}
              {page.hasMore ? ', more available' : ''}
            </p>
            {shownLive.overflow > 0 && (
              <p role="status" className="small">
                {plural(shownLive.overflow, 'more new event')} arrived.{' '}
                <button type="button" className="link" onClick={refresh}>
                  Refresh to show them
                </button>
              </p>
            )}
            <EventsTable
              rows={rows}
              hasMore={page.hasMore}
              loadingMore={loadingMore}
              onLoadMore={loadMore}
              onOpen={(id) => setView({ ...view, event: id })}
              selectedId={view.event}
              newIds={newIds}
              zone={view.tz}
              showTenant={view.allTenants}
            />
            {page.hasMore && (
              <button type="button" className="load-more" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            )}
          </>
        )}
      </div>
      {view.event && (
        <EventDrawer id={view.event} known={selected} allTenants={view.allTenants} zone={view.tz} onClose={closeDrawer} onPivot={onPivot} />
      )}
    </div>
  );
}

function LiveStatus({ state, allowed, on }: { state: ReturnType<typeof useLiveTail>; allowed: boolean; on: boolean }) {
  if (!allowed && on) return <span className="muted small">The live tail needs a range that ends now</span>;
  switch (state.status) {
    case 'off':
      return null;
    case 'connecting':
      return (
        <span role="status" className="live live-connecting">
          Live: connecting…
        </span>
      );
    case 'connected':
      return (
        <span role="status" className="live live-on">
          Live: connected
        </span>
      );
    case 'error':
      return (
        <span role="alert" className="live live-error">
          Live: {state.message}
        </span>
      );
  }
}
