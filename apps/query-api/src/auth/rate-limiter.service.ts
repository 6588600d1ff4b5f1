import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import type { QueryApiConfig } from '../query-api.config';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** A source of milliseconds, injectable so tests move time instead of waiting. */
export type NowMs = () => number;

const MAX_BUCKETS = 100_000;

/**
 * A token bucket per caller, in memory (per instance): `burst` requests at once, refilled at `ratePerSecond`.
 * `take` returns 0 when the request may go on, or the seconds to wait.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: NowMs,
  ) {}

  take(key: string): number {
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
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.ratePerSecond);
  }
}

/** The API's per-key request rate (QUERY_API_RATE_PER_SECOND, QUERY_API_RATE_BURST). */
@Injectable()
export class RateLimiter extends TokenBuckets {
  constructor(@Inject(APP_CONFIG) config: QueryApiConfig, clock: Clock) {
    super(config.QUERY_API_RATE_PER_SECOND, config.QUERY_API_RATE_BURST, () => clock.now().getTime());
  }
}
