import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { microsToEpochSeconds, microsToIso, microsToUnixNanos } from './time.util';

describe('time.util', () => {
  it('keeps microseconds in ISO strings (libs/events) and nanosecond strings', () => {
    assert.equal(microsToIso(1768244683006123), '2026-01-12T19:04:43.006123Z');
    assert.equal(microsToUnixNanos(1768244683006123), '1768244683006123000');
  });

  it('truncates to milliseconds for epoch seconds', () => {
    assert.equal(microsToEpochSeconds(1700000000123999), 1700000000.123);
    assert.equal(microsToEpochSeconds(1700000000000000), 1700000000);
  });
});
