import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.util';

const options = { initialBackoffMs: 100, maxBackoffMs: 1000 };

describe('backoffDelay', () => {
  it('doubles per attempt up to the maximum, jittered between half and all of the step', () => {
    assert.equal(
      backoffDelay(0, options, undefined, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(0, options, undefined, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, options, undefined, () => 1),
      800,
    );
    assert.equal(
      backoffDelay(4, options, undefined, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(50, options, undefined, () => 0),
      500,
    );
  });

  it('spreads connectors that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(2, options)));
    assert.ok(delays.size > 10);
    for (const d of delays) assert.ok(d >= 200 && d <= 400);
  });

  it('waits at least as long as Retry-After asks, within a cap', () => {
    assert.equal(
      backoffDelay(0, options, 5000, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(4, options, 10, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(0, options, 24 * 3600_000, () => 1),
      MAX_RETRY_AFTER_MS,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(' 1.5 '), 1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
  });

  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter(''), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
