import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressCommitter } from './progress-commit.util';

function setup(first = 10n, limit = 100n) {
  let now = 0;
  const commits: bigint[] = [];
  const pending: (() => void)[] = [];
  const committer = new ProgressCommitter(
    (next) => {
      commits.push(next);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    first,
    limit,
    () => now,
    200,
  );
  const settle = async (): Promise<void> => {
    for (const resolve of pending.splice(0)) resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { committer, commits, settle, tick: (ms: number) => (now += ms) };
}

describe('ProgressCommitter', () => {
  it('commits forward only, one commit in flight, at most one per interval', async () => {
    const { committer, commits, settle, tick } = setup();
    committer.advance(10n);
    assert.deepEqual(commits, [], 'nothing done yet');
    committer.advance(20n);
    committer.advance(30n);
    assert.deepEqual(commits, [20n], 'the second waits for the first');
    await settle();
    committer.advance(40n);
    assert.deepEqual(commits, [20n], 'within the interval');
    tick(200);
    committer.advance(15n);
    assert.deepEqual(commits, [20n], 'never backwards');
    committer.advance(50n);
    assert.deepEqual(commits, [20n, 50n]);
  });

  it('never commits past its limit or a held offset, and forgets a failed commit', async () => {
    const { committer, commits, settle, tick } = setup(10n, 60n);
    committer.holdAt(35n);
    committer.advance(50n);
    assert.deepEqual(commits, [35n]);
    await settle();
    tick(500);
    committer.advance(55n);
    assert.deepEqual(commits, [35n], 'held at 35');

    let fail = true;
    const tried: bigint[] = [];
    const failing = new ProgressCommitter(
      (next) => {
        tried.push(next);
        return fail ? Promise.reject(new Error('coordinator moved')) : Promise.resolve();
      },
      0n,
      100n,
      () => 0,
      0,
    );
    failing.advance(5n);
    await new Promise((resolve) => setImmediate(resolve));
    fail = false;
    failing.advance(5n);
    assert.deepEqual(tried, [5n, 5n], 'the failed commit did not count');
  });
});
