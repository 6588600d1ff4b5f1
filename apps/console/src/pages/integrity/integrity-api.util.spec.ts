import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchorLabel, checkpointsOf, findingLabel, formatMs, type Checkpoint } from './integrity-api.util.ts';

describe('integrity display', () => {
  it('says what each finding means, and where a walk started', () => {
    for (const kind of ['altered', 'deleted', 'inserted', 'reordered', 'truncated', 'checkpoint'])
      assert.notEqual(findingLabel(kind), kind, kind);
    assert.match(findingLabel('truncated'), /Cut off/);
    assert.equal(findingLabel('new-kind'), 'new-kind');
    assert.equal(anchorLabel('genesis', 0), 'the start of the chain');
    assert.equal(anchorLabel('stored-link', 41), 'stored link at 41');
  });

  it('formats durations', () => {
    assert.equal(formatMs(850.2), '850 ms');
    assert.equal(formatMs(2400), '2.4 s');
    assert.equal(formatMs(65_000), '1 min 5 s');
  });

  it('keeps the checkpoints of the categories asked for, newest first', () => {
    const cp = (category: string, at: string): Checkpoint => ({
      tenantId: 't',
      category,
      seq: 1,
      hash: 'h',
      kind: 'signed',
      at,
      keyId: 'k1',
      signature: 's',
    });
    const list = [
      cp('authentication', '2026-11-01T00:00:00Z'),
      cp('automation', '2026-11-02T00:00:00Z'),
      cp('authentication', '2026-11-03T00:00:00Z'),
    ];
    assert.deepEqual(
      checkpointsOf(list, ['authentication']).map((c) => c.at),
      ['2026-11-03T00:00:00Z', '2026-11-01T00:00:00Z'],
    );
    assert.equal(checkpointsOf(list, []).length, 3);
  });
});
