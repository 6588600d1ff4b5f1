import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paramsOf, rangeFromParams } from './range.util.ts';

const now = Date.parse('2026-11-27T12:00:00Z');

describe('integrity range', () => {
  it('reads a preset relative to now, with categories', () => {
    const result = rangeFromParams(new URLSearchParams('range=1h&categories=authentication,role-privilege'), now);
    assert.ok(result.ok);
    assert.deepEqual(result.range, {
      kind: '1h',
      from: '2026-11-27T11:00:00.000Z',
      to: '2026-11-27T12:00:00.000Z',
      categories: ['authentication', 'role-privilege'],
    });
    const fallback = rangeFromParams(new URLSearchParams(''), now);
    assert.ok(fallback.ok && fallback.range.kind === '24h');
  });

  it('reads a custom range and refuses a bad one', () => {
    const custom = rangeFromParams(new URLSearchParams('range=custom&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z'), now);
    assert.ok(custom.ok);
    assert.equal(custom.range.from, '2026-11-01T00:00:00.000Z');
    assert.equal(custom.range.to, '2026-11-02T00:00:00.000Z');
    assert.equal(rangeFromParams(new URLSearchParams('range=custom&from=nope'), now).ok, false);
    assert.equal(rangeFromParams(new URLSearchParams('range=custom&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z'), now).ok, false);
    assert.equal(rangeFromParams(new URLSearchParams('range=2y'), now).ok, false);
  });

  it('writes back the query string it reads', () => {
    const result = rangeFromParams(
      new URLSearchParams('range=custom&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&categories=automation'),
      now,
    );
    assert.ok(result.ok);
    const again = rangeFromParams(paramsOf(result.range), now);
    assert.deepEqual(again, result);
  });
});
