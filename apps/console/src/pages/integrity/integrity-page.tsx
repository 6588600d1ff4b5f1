import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { hrefFor } from '../../routing/route.util.ts';
import { useSession } from '../../session.context.ts';
import { Link } from '../../ui/link.tsx';
import { EmptyState, ErrorState, LoadingState } from '../../ui/states.tsx';
import {
  anchorLabel,
  checkpointsOf,
  CHECKPOINTS_QUERY,
  findingLabel,
  formatMs,
  VERIFY_INTEGRITY,
  type Checkpoint,
  type IntegrityReport,
} from './integrity-api.util.ts';
import { rangeFromParams, type IntegrityRange } from './range.util.ts';

const PRESET_LABELS: Record<string, string> = {
  '15m': 'the last 15 minutes',
  '1h': 'the last hour',
  '24h': 'the last 24 hours',
  '7d': 'the last 7 days',
  '30d': 'the last 30 days',
  custom: 'a custom range',
};

type Run =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; report: IntegrityReport; totalMs: number }
  | { state: 'failed'; error: unknown };

/** Tamper evidence for the events page's range: a server-side `vigil verify` of the tenant's chains, and the signed checkpoints. */
export function IntegrityPage({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  // A new query string is a new page: the range is read again and an earlier result goes.
  return <IntegrityView key={key} query={key} />;
}

function IntegrityView({ query: key }: { query: string }) {
  const { client } = useSession();
  // The range is fixed when the page opens, so "the last hour" means the same for the verification and the checkpoints.
  const [openedAt] = useState(() => Date.now());
  const parsed = useMemo(() => rangeFromParams(new URLSearchParams(key), openedAt), [key, openedAt]);
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const resultHeading = useRef<HTMLHeadingElement>(null);

  const verify = async (range: IntegrityRange): Promise<void> => {
    setRun({ state: 'running' });
    const started = performance.now();
    try {
      const { verifyIntegrity } = await client.request<{ verifyIntegrity: IntegrityReport }>(VERIFY_INTEGRITY, {
        from: range.from,
        to: range.to,
        categories: range.categories.length > 0 ? range.categories : null,
      });
      setRun({ state: 'done', report: verifyIntegrity, totalMs: performance.now() - started });
    } catch (error) {
      setRun({ state: 'failed', error });
    }
  };

  useEffect(() => {
    if (run.state === 'done') resultHeading.current?.focus();
  }, [run.state]);

  if (!parsed.ok)
    return (
      <section className="page" aria-labelledby="integrity-title">
        <h1 id="integrity-title">Integrity</h1>
        <ErrorState error={new Error(parsed.message)} title="This range cannot be verified" />
        <Link href={hrefFor('events')}>Back to events</Link>
      </section>
    );
  const { range } = parsed;

  return (
    <section className="page integrity-page" aria-labelledby="integrity-title">
      <div className="page-head">
        <h1 id="integrity-title">Integrity</h1>
        <p className="muted page-lede">
          Every stored event is linked into a hash chain per category; signed checkpoints pin the chain’s head. Verifying recomputes the
          chains from the store and names the first event that was altered, deleted, inserted, reordered or cut off.
        </p>
      </div>
      <dl className="range-summary">
        <div>
          <dt>Range</dt>
          <dd>
            {PRESET_LABELS[range.kind] ?? range.kind}: <time dateTime={range.from}>{new Date(range.from).toLocaleString()}</time> to{' '}
            <time dateTime={range.to}>{new Date(range.to).toLocaleString()}</time>
          </dd>
        </div>
        <div>
          <dt>Categories</dt>
          <dd>{range.categories.length > 0 ? range.categories.join(', ') : 'all'}</dd>
        </div>
      </dl>
      <div className="page-actions">
        <button type="button" className="primary" onClick={() => void verify(range)} disabled={run.state === 'running'}>
          Verify this range
        </button>
        <Link href={hrefFor('events', new URLSearchParams(key))}>Back to these events</Link>
      </div>

      <div aria-live="polite">
        {run.state === 'running' && <LoadingState label="Verifying the chains… a long range can take a minute." />}
      </div>
      {run.state === 'failed' && <ErrorState error={run.error} title="The verification did not run" onRetry={() => void verify(range)} />}
      {run.state === 'done' && <ReportView report={run.report} totalMs={run.totalMs} headingRef={resultHeading} />}

      <Checkpoints range={range} />
    </section>
  );
}

function ReportView({
  report,
  totalMs,
  headingRef,
}: {
  report: IntegrityReport;
  totalMs: number;
  headingRef: RefObject<HTMLHeadingElement | null>;
}) {
  const broken = report.chains.filter((c) => c.finding !== null);
  return (
    <section className={`report card ${report.ok ? 'report-ok' : 'report-broken'}`} aria-labelledby="report-title">
      <h2 id="report-title" tabIndex={-1} ref={headingRef}>
        <span aria-hidden="true">{report.ok ? '✔ ' : '✖ '}</span>
        {report.ok ? 'Intact' : 'Broken'}
        {!report.complete && ' (partial)'}
      </h2>
      <p>
        {report.ok
          ? `No event in what was walked was altered, deleted, inserted, reordered or cut off.`
          : `${broken.length} chain${broken.length === 1 ? '' : 's'} broken${report.unchainedCount > 0 ? `, ${report.unchainedCount} row(s) without a place in any chain` : ''}.`}{' '}
        {report.checked.toLocaleString()} events walked in {formatMs(report.durationMs)} on the server ({formatMs(totalMs)} with the round
        trip).
      </p>
      {report.partial && (
        <p className="notice notice-warn" role="status">
          <span aria-hidden="true">⚠ </span>
          {report.partial}
          {report.skippedCategories.length > 0 && ` Not walked: ${report.skippedCategories.join(', ')}.`}
        </p>
      )}
      <p className="muted small">
        {report.signaturesChecked
          ? 'Checkpoint signatures were checked with the API’s public keys.'
          : 'Checkpoint signatures were not checked: the API has no signing keys configured (VIGIL_CHAIN_SIGNING_KEYS).'}
      </p>
      {report.chains.length === 0 ? (
        <EmptyState title="No chained event of this tenant in the range" />
      ) : (
        <div className="table-scroll" role="region" aria-label="Chains table (scrolls sideways on narrow screens)" tabIndex={0}>
          <table className="data-table" aria-label="Chains">
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Result</th>
                <th scope="col" className="num">
                  Events walked
                </th>
                <th scope="col">Sequence</th>
                <th scope="col">Walk started at</th>
                <th scope="col" className="num">
                  Checkpoints matched
                </th>
                <th scope="col">Signatures</th>
                <th scope="col">Break</th>
              </tr>
            </thead>
            <tbody>
              {report.chains.map((c) => (
                <tr key={c.category}>
                  <th scope="row" data-label="Category">
                    {c.category}
                  </th>
                  <td data-label="Result">
                    <span className={`badge tone-${c.ok ? (c.stopped ? 'warn' : 'ok') : 'danger'}`}>
                      <span aria-hidden="true">{c.ok ? (c.stopped ? '⚠ ' : '✔ ') : '✖ '}</span>
                      {c.ok ? (c.stopped ? 'Intact so far (stopped)' : 'Intact') : 'Broken'}
                    </span>
                  </td>
                  <td data-label="Events walked" className="num">
                    {c.checked.toLocaleString()}
                  </td>
                  <td data-label="Sequence">
                    {c.firstSeq}–{c.lastSeq}
                  </td>
                  <td data-label="Walk started at">{anchorLabel(c.anchorKind, c.anchorSeq)}</td>
                  <td data-label="Checkpoints matched" className="num">
                    {c.checkpoints}
                  </td>
                  <td data-label="Signatures">
                    {!report.signaturesChecked ? 'not checked' : c.finding?.kind === 'checkpoint' ? 'do not verify' : 'verified'}
                  </td>
                  <td data-label="Break">
                    {c.finding ? (
                      <div className="finding">
                        <strong>{findingLabel(c.finding.kind)}</strong>
                        <div>
                          at sequence <span className="mono">{c.finding.seq}</span>
                          {c.finding.eventId && (
                            <>
                              , event <span className="mono">{c.finding.eventId}</span>
                            </>
                          )}
                        </div>
                        <div className="muted small">{c.finding.detail}</div>
                      </div>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Rows without a place in the chain</h3>
      {report.unchainedCount === 0 ? (
        <p>None: every stored row since the chain started holds its place.</p>
      ) : (
        <div className="notice notice-danger" role="status">
          <p>
            <span aria-hidden="true">✖ </span>
            {report.unchainedCount > report.unchainedIds.length ? `More than ${report.unchainedIds.length}` : report.unchainedCount} stored
            row(s) hold no place in any chain: added outside Vigil.
          </p>
          <ul className="mono small">
            {report.unchainedIds.map((id) => (
              <li key={id}>{id}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function Checkpoints({ range }: { range: IntegrityRange }) {
  const { client } = useSession();
  const [list, setList] = useState<Checkpoint[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    () =>
      client.request<{ checkpoints: Checkpoint[] }>(CHECKPOINTS_QUERY, { from: range.from, to: range.to }).then(
        (data) => setList(checkpointsOf(data.checkpoints, range.categories)),
        (err: unknown) => setError(err),
      ),
    [client, range],
  );

  useEffect(() => {
    void load();
  }, [load]);
  const retry = (): void => {
    setError(null);
    void load();
  };

  return (
    <section aria-labelledby="checkpoints-title" className="checkpoints">
      <h2 id="checkpoints-title">Checkpoints in the range</h2>
      <p className="muted small">Chain heads signed by Vigil (Ed25519); each SIEM receiving application-change events holds a copy.</p>
      {error !== null && <ErrorState error={error} title="The checkpoints could not be loaded" onRetry={retry} />}
      {list === null && error === null && <LoadingState label="Loading checkpoints…" />}
      {list !== null && list.length === 0 && <EmptyState title="No checkpoint was taken in this range" />}
      {list !== null && list.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Checkpoints table (scrolls sideways on narrow screens)" tabIndex={0}>
          <table className="data-table" aria-label="Checkpoints">
            <thead>
              <tr>
                <th scope="col">Taken at</th>
                <th scope="col">Category</th>
                <th scope="col" className="num">
                  Sequence
                </th>
                <th scope="col">Kind</th>
                <th scope="col">Key</th>
                <th scope="col">Head link</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={`${c.category}-${c.seq}-${c.kind}`}>
                  <td data-label="Taken at">
                    <time dateTime={c.at}>{new Date(c.at).toLocaleString()}</time>
                  </td>
                  <th scope="row" data-label="Category">
                    {c.category}
                  </th>
                  <td data-label="Sequence" className="num">
                    {c.seq}
                  </td>
                  <td data-label="Kind">
                    {c.kind === 'signed' ? 'signed' : c.signature === null ? 'retention anchor (unsigned)' : 'retention anchor (signed)'}
                  </td>
                  <td data-label="Key">{c.keyId ?? '—'}</td>
                  <td data-label="Head link" className="mono hash" title={c.hash}>
                    {c.hash.slice(0, 16)}…
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
