import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartitionManager } from './partition.manager';
import { PartitionScheduler } from './partition.scheduler';

/** A manager whose index builds run until `stopIndexing` (or `finishIndexing`), and whose maintain can fail. */
class FakeManager {
  readonly calls: string[] = [];
  maintainFails = false;
  private finish: (() => void) | undefined;

  maintain(): Promise<unknown> {
    this.calls.push('maintain');
    return this.maintainFails ? Promise.reject(new Error('no database')) : Promise.resolve({});
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

describe(PartitionScheduler.name, () => {
  it('starts once the partitions are maintained, while the index builds still run', async () => {
    const manager = new FakeManager();
    const s = scheduler(manager);
    await s.onApplicationBootstrap();
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays'], 'bootstrap returned with the builds still running');
    await s.onApplicationShutdown();
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays', 'stopIndexing'], 'shutdown cancels the build in progress');
  });

  it('joins a run in progress instead of starting a second', async () => {
    const manager = new FakeManager();
    const s = scheduler(manager);
    const first = s.runOnce();
    const second = s.runOnce();
    await new Promise((resolve) => setImmediate(resolve));
    manager.finishIndexing();
    await Promise.all([first, second]);
    assert.deepEqual(manager.calls, ['maintain', 'indexEndedDays']);
  });

  it('logs a failed maintenance, builds no index after it, and still starts', async () => {
    const manager = new FakeManager();
    manager.maintainFails = true;
    const errors: unknown[] = [];
    const s = scheduler(manager, errors);
    await s.onApplicationBootstrap();
    await new Promise((resolve) => setImmediate(resolve));
    await s.runOnce();
    assert.deepEqual(manager.calls, ['maintain', 'maintain']);
    assert.equal(errors.length, 2);
    await s.onApplicationShutdown();
  });
});
