import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { LingerBatcher } from './linger-batcher.util';
import { halve } from './record-batch.util';

const record = (json: string) => ({ bytes: Buffer.from(json) });

function batcher(limits: { maxEvents: number; maxBytes: number; lingerMs: number }): {
  batcher: LingerBatcher<{ bytes: Buffer }>;
  out: string[];
} {
  const out: string[] = [];
  return { batcher: new LingerBatcher(limits, (batch) => out.push(batch.map((r) => r.bytes.toString()).join(''))), out };
}

describe(LingerBatcher.name, () => {
  it('emits full batches by count at once, in order, and the rest after the linger', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { batcher: b, out } = batcher({ maxEvents: 2, maxBytes: 1000, lingerMs: 100 });
      b.add(['a', 'b', 'c', 'd', 'e'].map(record));
      assert.deepEqual(out, ['ab', 'cd']);
      mock.timers.tick(99);
      assert.deepEqual(out, ['ab', 'cd']);
      b.add([record('f')]);
      assert.deepEqual(out, ['ab', 'cd', 'ef']);
      b.add([record('g')]);
      mock.timers.tick(100);
      assert.deepEqual(out, ['ab', 'cd', 'ef', 'g']);
    } finally {
      mock.timers.reset();
    }
  });

  it('cuts by bytes (JSON plus a separator each) and lets an oversized record travel alone', () => {
    const { batcher: b, out } = batcher({ maxEvents: 10, maxBytes: 10, lingerMs: 0 });
    b.add(['xxxx', 'yyyy', 'z'.repeat(20), 'w'].map(record));
    assert.deepEqual(out, ['xxxxyyyy', 'z'.repeat(20), 'w']);
  });

  it('drops what it holds when cleared', () => {
    const { batcher: b, out } = batcher({ maxEvents: 10, maxBytes: 1000, lingerMs: 60_000 });
    b.add([record('a')]);
    assert.equal(b.clear().length, 1);
    b.flush();
    assert.deepEqual(out, []);
  });
});

describe('halve', () => {
  it('splits in order, the first half taking the odd one', () => {
    assert.deepEqual(halve([1, 2, 3]), [[1, 2], [3]]);
    assert.deepEqual(halve([1]), [[1], []]);
  });
});
