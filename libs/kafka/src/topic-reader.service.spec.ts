import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latestByKey } from './topic-reader.service';

const record = (key: string | null, value: string | null) => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});

describe('latestByKey', () => {
  it('keeps the last value per key, forgets tombstoned keys and skips keyless records', () => {
    const latest = latestByKey([record('a', '1'), record('b', '1'), record('a', '2'), record('b', null), record(null, 'x')]);
    assert.deepEqual(
      [...latest].map(([k, v]) => [k, v.toString()]),
      [['a', '2']],
    );
  });
});
