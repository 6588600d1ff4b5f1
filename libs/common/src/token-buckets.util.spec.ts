import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBuckets } from './token-buckets.util';

describe(TokenBuckets.name, () => {
  it('allows the burst, then refuses with the seconds to wait, then refills at the rate', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    assert.deepEqual([buckets.take('k'), buckets.take('k'), buckets.take('k')], [0, 0, 0]);
    assert.equal(buckets.take('k'), 1);
    now += 500; // one token at 2/s
    assert.equal(buckets.take('k'), 0);
    assert.equal(buckets.take('k'), 1);
    now += 60_000;
    assert.deepEqual(
      [buckets.take('k'), buckets.take('k'), buckets.take('k'), buckets.take('k')],
      [0, 0, 0, 1],
      'never more than the burst',
    );
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets(1, 1, () => 0);
    assert.equal(buckets.take('a'), 0);
    assert.equal(buckets.take('a'), 1);
    assert.equal(buckets.take('b'), 0);
  });

  it('charges a cost (a batch of events), capped at the burst, and says how long until it can be paid', () => {
    let now = 0;
    const buckets = new TokenBuckets(100, 500, () => now);
    assert.equal(buckets.take('k', 400), 0);
    assert.equal(buckets.take('k', 400), 3, '300 tokens short at 100/s');
    now = 3000;
    assert.equal(buckets.take('k', 400), 0);
    now = 10_000;
    assert.equal(buckets.take('k', 10_000), 0, 'a cost over the burst is charged as the burst');
  });
});
