import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './rate-limit.util';

describe(TokenBucket.name, () => {
  it('lets one second of events through at once, then makes a larger take wait off its debt', () => {
    let now = 0;
    const bucket = new TokenBucket(100, () => now);
    assert.equal(bucket.reserve(100), 0);
    assert.equal(bucket.reserve(50), 500);
    now = 1500; // the debt of 50 is paid after 0.5 s; one more second refills it in full
    assert.equal(bucket.reserve(100), 0);
  });

  it('averages out to the rate over many batches', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, () => now);
    for (let i = 0; i < 20; i++) now += bucket.reserve(500);
    assert.ok(Math.abs(now - 9000) < 1, `20 batches of 500 at 1000/s take 9 s after the first second's burst (${now})`);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new TokenBucket(0), RangeError);
  });
});
