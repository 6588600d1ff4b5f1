import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVendorTime } from './vendor-time.util';

const micros = (iso: string): number => Date.parse(iso) * 1000;

describe(parseVendorTime.name, () => {
  it('reads ISO 8601 with Z or an offset, with or without its colon, keeping microseconds', () => {
    assert.deepEqual(parseVendorTime('2019-09-25T23:40:02.695Z'), { micros: micros('2019-09-25T23:40:02.695Z') });
    assert.deepEqual(parseVendorTime('2021-05-05T09:27:12.529+0000'), { micros: micros('2021-05-05T09:27:12.529Z') });
    assert.deepEqual(parseVendorTime('2021-05-05T11:27:12+02:00'), { micros: micros('2021-05-05T09:27:12Z') });
    assert.deepEqual(parseVendorTime('2021-05-05T09:27:12.123456Z'), { micros: micros('2021-05-05T09:27:12.123Z') + 456 });
  });

  it('reads LogicHub’s month-first local times with their offset, and a decimal offset whose minutes agree', () => {
    assert.deepEqual(parseVendorTime('11/03/2020 12:10:59+05:30'), { micros: micros('2020-11-03T06:40:59Z') });
    assert.deepEqual(parseVendorTime('06/10/2020 06:28:42 +05.5:30'), { micros: micros('2020-06-10T00:58:42Z') });
    const disagreeing = parseVendorTime('06/10/2020 06:28:42 +05.5:15');
    assert.match('error' in disagreeing ? disagreeing.error : '', /disagree/);
  });

  it('reads ThoughtSpot’s yyyy/mm/dd:hh:mm:ss as UTC, and Unix seconds, milliseconds and microseconds', () => {
    assert.deepEqual(parseVendorTime('2024/03/05:10:22:31'), { micros: micros('2024-03-05T10:22:31Z') });
    assert.deepEqual(parseVendorTime(1700000000), { micros: 1700000000_000000 });
    assert.deepEqual(parseVendorTime(1700000000123), { micros: 1700000000123_000 });
    assert.deepEqual(parseVendorTime('1700000000123456'), { micros: 1700000000123456 });
  });

  it('refuses a local time without an offset, an impossible date and a stranger, saying what to send', () => {
    const error = (v: unknown): string => {
      const parsed = parseVendorTime(v);
      return 'error' in parsed ? parsed.error : 'parsed';
    };
    assert.match(error('2020-11-03 12:10:59'), /has no UTC offset; add Z or ±HH:MM/);
    assert.match(error('02/30/2020 10:00:00Z'), /not a day of the calendar/);
    assert.match(error('yesterday'), /not a timestamp Vigil reads/);
    assert.match(error(undefined), /is required/);
  });
});
