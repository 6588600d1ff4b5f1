import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartitionManager } from './partition.manager';
import { PartitionScheduler } from './partition.scheduler';

/** A manager whose index builds run until `stopIndexing` (or `finishIndexing`), and whose maintain can fail. */
class FakeManager {
  readonly calls: string[] = [];
  maintainFails = false;
  /** Set: maintain waits until `finishMaintaining`. */
  holdMaintain = false;
  private finish: (() => void) | undefined;
  private finishMaintain: (() => void) | undefined;

  maintain(): Promise<unknown> {
    this.calls.push('maintain');
    if (this.maintainFails) return Promise.reject(new Error('no database'));
    if (!this.holdMaintain) return Promise.resolve({});
    return new Promise((resolve) => {
      this.finishMaintain = () => resolve({});
    });
  }

  finishMaintaining(): void {
    this.finishMaintain?.();
  }

  indexEndedDays(): Promise<unknown> {
    this.calls.push('indexEndedDays');
    return new Promise((resolve) => {
      this.finish = () => resolve({ built: [], deferred: [] });
    });
  }

  stopIndexing(): Promise<void> {
    this.calls.push('stopIndexing');
    this.finishIndexing();
    return Promise.resolve();
  }

  finishIndexing(): void {
    this.finish?.();
    this.finish = undefined;
  }
}

function scheduler(manager: FakeManager, errors: unknown[] = []): PartitionScheduler {
  const logger = { error: (obj: unknown) => void errors.push(obj) };
  return new PartitionScheduler(manager as unknown as PartitionManager, logger, 3_600_000);
}

/** Rejects if `promise` has not settled within `ms`: a start-up that waited for the builds fails instead of hanging. */
function within<T>(promise: Promise<T>, ms = 1_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe(PartitionScheduler.name, () => {
  it('starts once the partitions are maintained, while the index builds still run, and cancels them at shutdown', async () => {
    const manager = new FakeManager();
    const s = scheduler(manager);
    await within(s.onApplicationBootstrap());
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays'], 'bootstrap returned with the builds still running');
    await within(s.onApplicationShutdown());
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays', 'stopIndexing'], 'shutdown cancels the build in progress');
  });

  it('maintains the partitions hourly even while a build from an earlier run goes on, and builds one run at a time', async () => {
    const manager = new FakeManager();
    const s = scheduler(manager);
    const first = s.runOnce();
    await new Promise((resolve) => setImmediate(resolve));
    const second = s.runOnce();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      manager.calls,
      ['maintain', 'indexEndedDays', 'maintain'],
      'the second maintenance ran; its indexing joined the first',
    );
    manager.finishIndexing();
    await within(Promise.all([first, second]));
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays', 'maintain']);
  });

  it('starts no index build once shutdown has begun, though the maintenance it waited for ends after', async () => {
    const manager = new FakeManager();
    manager.holdMaintain = true;
    const s = scheduler(manager);
    const run = s.runOnce();
    const shutdown = s.onApplicationShutdown();
    manager.finishMaintaining();
    await within(Promise.all([run, shutdown]));
    assert.deepEqual(manager.calls, ['maintain', 'stopIndexing']);
  });

  it('logs a failed maintenance, builds no index after it, and still starts', async () => {
    const manager = new FakeManager();
    manager.maintainFails = true;
    const errors: unknown[] = [];
    const s = scheduler(manager, errors);
    await within(s.onApplicationBootstrap());
    await within(s.runOnce());
    assert.deepEqual(manager.calls, ['maintain', 'maintain']);
    assert.equal(errors.length, 2);
    await s.onApplicationShutdown();
  });
});
