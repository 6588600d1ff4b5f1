import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollupFoldScheduler, type FoldResult } from './rollup-fold.scheduler';

/** A folder whose folds wait for `finish`, and fail while `failing` is set. */
class FakeFolder {
  calls = 0;
  failing = false;
  /** What the last fold was given to ask whether to stop between chunks. */
  stop: (() => boolean) | undefined;
  private pending: (() => void) | undefined;

  fold(stop?: () => boolean): Promise<FoldResult> {
    this.calls++;
    this.stop = stop;
    if (this.failing) return Promise.reject(new Error('no database'));
    return new Promise((resolve) => {
      this.pending = () => resolve({ folded: 1, busy: false });
    });
  }

  finish(): void {
    this.pending?.();
    this.pending = undefined;
  }
}

const logger = () => {
  const errors: string[] = [];
  return { errors, logger: { error: (_: unknown, message?: string) => void errors.push(message ?? ''), debug: () => undefined } };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe(RollupFoldScheduler.name, () => {
  it('runs one fold at a time: a tick while one runs joins it', async () => {
    const folder = new FakeFolder();
    const scheduler = new RollupFoldScheduler(folder, logger().logger);
    const first = scheduler.runOnce();
    const second = scheduler.runOnce();
    assert.equal(folder.calls, 1);
    folder.finish();
    await Promise.all([first, second]);
    void scheduler.runOnce();
    assert.equal(folder.calls, 2, 'the next tick folds again');
    folder.finish();
  });

  it('logs a failed fold and folds again at the next tick', async () => {
    const folder = new FakeFolder();
    const log = logger();
    const scheduler = new RollupFoldScheduler(folder, log.logger);
    folder.failing = true;
    await scheduler.runOnce();
    assert.deepEqual(log.errors, ['rollup fold failed; the counts stay pending']);
    folder.failing = false;
    const next = scheduler.runOnce();
    folder.finish();
    await next;
    assert.equal(folder.calls, 2);
  });

  it('folds on its interval once started, and at shutdown stops the fold in progress after its chunk and starts none', async () => {
    const folder = new FakeFolder();
    const scheduler = new RollupFoldScheduler(folder, logger().logger, 5);
    scheduler.onApplicationBootstrap();
    while (folder.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(folder.stop?.(), false, 'the fold goes on from chunk to chunk');
    let stopped = false;
    const stopping = scheduler.onApplicationShutdown().then(() => (stopped = true));
    await tick();
    assert.equal(stopped, false, 'shutdown waits for the fold in progress');
    assert.equal(folder.stop?.(), true, 'which stops after its current chunk');
    folder.finish();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 30));
    await scheduler.runOnce();
    assert.equal(folder.calls, 1, 'no fold starts once shutdown began');
  });
});
