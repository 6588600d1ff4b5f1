import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, plural } from './format.util.ts';

describe('console formatting', () => {
  it('says 1 event and 2,500 events', () => {
    assert.equal(plural(1, 'event'), '1 event');
    assert.equal(plural(0, 'event'), '0 events');
    assert.equal(plural(2500, 'event'), '2,500 events');
  });

  it('gives sizes in B, KB and MB', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(3.25 * 1024 * 1024), '3.3 MB');
  });
});
