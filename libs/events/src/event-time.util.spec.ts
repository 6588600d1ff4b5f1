import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { microsToIso, microsToIsoMillis } from './event-time.util';

describe('microsToIso', () => {
  it('keeps all six fractional digits', () => {
    assert.equal(microsToIso(1768244683006123), '2026-01-12T19:04:43.006123Z');
    assert.equal(microsToIso(0), '1970-01-01T00:00:00.000000Z');
    assert.equal(microsToIso(-1), '1969-12-31T23:59:59.999999Z');
    assert.equal(microsToIso(Number.MAX_SAFE_INTEGER), '2255-06-05T23:47:34.740991Z');
  });

  it('formats every time as Date does, whichever second it formatted before', () => {
    const reference = (micros: number) => {
      const millis = Math.floor(micros / 1000);
      return `${new Date(millis).toISOString().slice(0, -1)}${String(micros - millis * 1000).padStart(3, '0')}Z`;
    };
    // Seeded, so a failure repeats.
    let seed = 29;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let micros = 1_768_244_683_006_123;
    for (let i = 0; i < 2000; i++) {
      // Steps of up to ~2 s, sometimes back: the same second again, the next one, an earlier one.
      micros += Math.floor((random() - 0.3) * 2_000_000);
      assert.equal(microsToIso(micros), reference(micros));
    }
    assert.equal(microsToIso(8_000_000_000_000_001), reference(8_000_000_000_000_001));
    // An event's two times in different seconds, in turns, and seconds before 1970 (negative slots).
    for (const [a, b] of [
      [1_768_244_683_006_123, 1_768_244_691_000_001],
      [-1_000_000_000_123, -8_000_000_000_456],
    ] as const)
      for (let i = 0; i < 3; i++) {
        assert.equal(microsToIso(a), reference(a));
        assert.equal(microsToIso(b), reference(b));
      }
  });
});

describe('microsToIsoMillis', () => {
  const reference = (micros: number) => new Date(Math.floor(micros / 1000)).toISOString();

  it('is what Date says of the time in whole milliseconds', () => {
    assert.equal(microsToIsoMillis(1768244683006123), '2026-01-12T19:04:43.006Z');
    assert.equal(microsToIsoMillis(0), '1970-01-01T00:00:00.000Z');
    assert.equal(microsToIsoMillis(-1), '1969-12-31T23:59:59.999Z');
    for (const micros of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 8_000_000_000_000_001, -999, 999, 1000, -1000, -1001])
      assert.equal(microsToIsoMillis(micros), reference(micros), String(micros));
  });

  it('agrees with Date over seeded times, with microsToIso formatting seconds in between', () => {
    let seed = 31;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let micros = 1_768_244_683_006_123;
    for (let i = 0; i < 2000; i++) {
      micros += Math.floor((random() - 0.3) * 2_000_000);
      assert.equal(microsToIsoMillis(micros), reference(micros));
      // The cache of seconds is shared: a microsecond time of another second in between.
      microsToIso(micros - 7_000_000);
    }
    for (let i = 0; i < 500; i++) {
      const far = Math.floor((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
      assert.equal(microsToIsoMillis(far), reference(far), String(far));
    }
  });

  it('throws as Date does for a time that is not a number or beyond its range', () => {
    assert.throws(() => microsToIsoMillis(Number.NaN), RangeError);
    assert.equal(microsToIsoMillis(8.64e18), reference(8.64e18));
    // The last second Date holds: its first millisecond formats, the next is beyond the range.
    assert.throws(() => microsToIsoMillis(8.64e18 + 1000), RangeError);
    assert.throws(() => microsToIsoMillis(-8.64e18 - 1000), RangeError);
  });
});
