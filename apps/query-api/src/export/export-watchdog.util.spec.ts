import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ExportWatchdog, type ExportEnd } from './export-watchdog.util';

describe(ExportWatchdog.name, () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'] }));
  afterEach(() => mock.timers.reset());

  function watch(stallMs: number, maxMs: number): { dog: ExportWatchdog; ends: ExportEnd[] } {
    const ends: ExportEnd[] = [];
    return { dog: new ExportWatchdog({ stallMs, maxMs, onExpire: (reason) => ends.push(reason) }), ends };
  }

  it('ends an export whose client takes nothing for stallMs, once', () => {
    const { dog, ends } = watch(1_000, 60_000);
    dog.waiting();
    mock.timers.tick(750);
    assert.deepEqual(ends, []);
    mock.timers.tick(250);
    assert.deepEqual(ends, ['stalled']);
    mock.timers.tick(120_000);
    assert.deepEqual(ends, ['stalled']);
  });

  it('never counts time the export spends reading the database, only time waiting for its client', () => {
    const { dog, ends } = watch(1_000, 60_000);
    mock.timers.tick(5_000); // a slow first batch: not the client's fault
    for (let i = 0; i < 20; i++) {
      dog.waiting();
      mock.timers.tick(900);
      dog.taken();
      mock.timers.tick(900);
    }
    assert.deepEqual(ends, []);
    dog.stop();
  });

  it('ends an export that runs past maxMs, however steadily its client reads', () => {
    const { dog, ends } = watch(1_000, 10_000);
    for (let i = 0; i < 9; i++) {
      dog.waiting();
      mock.timers.tick(500);
      dog.taken();
      mock.timers.tick(500);
    }
    assert.deepEqual(ends, []);
    mock.timers.tick(1_000);
    assert.deepEqual(ends, ['too-long']);
  });

  it('does nothing once stopped', () => {
    const { dog, ends } = watch(1_000, 2_000);
    dog.waiting();
    dog.stop();
    mock.timers.tick(10_000);
    assert.deepEqual(ends, []);
  });
});
