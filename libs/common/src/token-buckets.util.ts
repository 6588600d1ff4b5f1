// In-memory rate limiting per caller.

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** A source of milliseconds, injectable so tests move time instead of waiting. */
export type NowMs = () => number;

const MAX_BUCKETS = 100_000;

/**
 * A token bucket per caller, in memory (per instance): `burst` requests at once, refilled at `ratePerSecond`.
 * `take` returns 0 when the request may go on, or the seconds to wait. Used by the query API (requests per key) and
 * the ingest gateway (events per key).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: NowMs,
  ) {}

  /** Takes `cost` tokens (a request, or a request's events); 0 when it may go on, else the seconds to wait. */
  take(key: string, cost = 1): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.ratePerSecond);
    bucket.updatedMs = now;
    // Re-insert so the map stays in least-recently-used order; the oldest go when it is full.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    // A cost above the burst could never be paid at once: it is charged as the whole burst.
    const charge = Math.min(cost, this.burst);
    if (bucket.tokens >= charge) {
      bucket.tokens -= charge;
      return 0;
    }
    return Math.ceil((charge - bucket.tokens) / this.ratePerSecond);
  }
}
