import { BUCKET_MS, type Bucket } from './view-state.util.ts';

export interface HistogramBar {
  start: number;
  count: number;
}

/** Every bucket of the window, empty ones included, from the API's sparse counts (UTC-aligned starts). */
export function fillBuckets(counts: { bucket: string; count: number }[], from: string, to: string, bucket: Bucket): HistogramBar[] {
  const width = BUCKET_MS[bucket];
  const first = Math.floor(Date.parse(from) / width) * width;
  const end = Date.parse(to);
  const byStart = new Map<number, number>();
  for (const c of counts) {
    const start = Date.parse(c.bucket);
    byStart.set(start, (byStart.get(start) ?? 0) + c.count);
  }
  const bars: HistogramBar[] = [];
  for (let start = first; start < end && bars.length < 10_080; start += width) bars.push({ start, count: byStart.get(start) ?? 0 });
  return bars;
}

const BUCKET_WORD: Record<Bucket, string> = { MINUTE: 'minute', HOUR: 'hour', DAY: 'day' };

/**
 * Counts over the range as bars. Clicking a bar zooms the view to that bucket. The figure's caption gives the total,
 * and its label the busiest bucket, for readers who cannot see the bars.
 */
export function Histogram({
  bars,
  bucket,
  total,
  truncated,
  formatStart,
  onZoom,
}: {
  bars: HistogramBar[];
  bucket: Bucket;
  total: number;
  truncated: boolean;
  formatStart: (ms: number) => string;
  onZoom: (from: number, to: number) => void;
}) {
  const max = Math.max(1, ...bars.map((b) => b.count));
  const peak = bars.reduce<HistogramBar | null>((best, b) => (best === null || b.count > best.count ? b : best), null);
  const width = 1000;
  const height = 120;
  const barWidth = width / Math.max(1, bars.length);
  const label =
    peak && peak.count > 0
      ? `Events per ${BUCKET_WORD[bucket]}: busiest ${formatStart(peak.start)} with ${peak.count.toLocaleString()}`
      : `Events per ${BUCKET_WORD[bucket]}: none`;
  return (
    <figure className="histogram">
      <div className="histogram-head">
        <h2>Events over time</h2>
        <figcaption>
          {total.toLocaleString()} {total === 1 ? 'event' : 'events'}
          {truncated ? ' (some buckets left out)' : ''} · per {BUCKET_WORD[bucket]}
        </figcaption>
      </div>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label}>
        {bars.map((b, i) => {
          const h = b.count === 0 ? 0 : Math.max(2, (b.count / max) * (height - 4));
          return (
            <rect
              key={b.start}
              x={i * barWidth}
              y={height - h}
              width={Math.max(1, barWidth - (barWidth > 4 ? 1 : 0))}
              height={h}
              className="bar"
              onClick={() => onZoom(b.start, b.start + BUCKET_MS[bucket])}
            >
              <title>{`${formatStart(b.start)}: ${b.count.toLocaleString()}`}</title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}
