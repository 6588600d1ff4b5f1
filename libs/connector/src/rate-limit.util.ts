import { sleep } from './backoff.util';
import type { DeliveryResult, Sink, SinkRecord } from './sink.types';

/**
 * A token bucket: `rate` tokens a second, holding at most one second's worth. A take larger than what is in the
 * bucket goes into debt and waits it off, so big batches still average out to the rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new RangeError('rate must be > 0');
    this.tokens = rate;
    this.last = now();
  }

  /** How long (ms) the caller must wait before using `count` tokens; the tokens are taken now. */
  reserve(count: number): number {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }

  async take(count: number, signal: AbortSignal): Promise<void> {
    const wait = this.reserve(count);
    if (wait > 0) await sleep(wait, signal);
  }
}

/** A sink that sends at most `eventsPerSecond` on average (replay's `--rate`), so a backfill does not flood the SIEM. */
export class RateLimitedSink implements Sink {
  private readonly bucket: TokenBucket;

  constructor(
    private readonly inner: Sink,
    eventsPerSecond: number,
  ) {
    this.bucket = new TokenBucket(eventsPerSecond);
  }

  probe(signal: AbortSignal): Promise<string | undefined> {
    return this.inner.probe?.(signal) ?? Promise.resolve(undefined);
  }

  get encoding(): Sink['encoding'] {
    return this.inner.encoding;
  }

  encode(...args: Parameters<Sink['encode']>): string {
    return this.inner.encode(...args);
  }

  async deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    await this.bucket.take(records.length, signal);
    return this.inner.deliver(records, signal);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
