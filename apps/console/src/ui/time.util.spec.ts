import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTime, fromInputValue, toInputValue } from './time.util.ts';

describe('console times', () => {
  it('shows UTC with the microseconds the API keeps', () => {
    assert.equal(formatTime('2026-11-27T12:03:04.123456Z', 'utc'), '2026-11-27 12:03:04.123456');
    assert.equal(formatTime('2026-11-27T12:03:04Z', 'utc'), '2026-11-27 12:03:04.000000');
  });

  it('shows local time with its offset and the same microseconds', () => {
    const shown = formatTime('2026-11-27T12:03:04.123456Z', 'local');
    assert.match(shown, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.123456 [+-]\d{2}:\d{2}$/);
  });

  it('converts datetime-local values both ways in either zone', () => {
    assert.equal(fromInputValue('2026-11-27T12:00', 'utc'), '2026-11-27T12:00:00.000Z');
    assert.equal(toInputValue('2026-11-27T12:00:00.000Z', 'utc'), '2026-11-27T12:00');
    const local = fromInputValue('2026-11-27T12:00', 'local');
    assert.ok(local);
    assert.equal(toInputValue(local, 'local'), '2026-11-27T12:00');
    assert.equal(fromInputValue('', 'utc'), null);
    assert.equal(fromInputValue('yesterday', 'local'), null);
  });
});
