import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryErrorCode, QueryException } from '../query.exception';
import { validateCriteria, validateFilter } from './event-filter.validator';

function refusal(fn: () => unknown): { field?: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof QueryException, String(err));
    assert.equal(err.code, QueryErrorCode.BAD_USER_INPUT);
    return { ...(err.field !== undefined ? { field: err.field } : {}), message: err.message };
  }
}

describe('validateCriteria: filter.text', () => {
  it('keeps a needle, trimmed', () => {
    assert.equal(validateCriteria({ text: '  Signed out ' }).text, 'Signed out');
    assert.equal(validateCriteria({ text: '50%_off ünïcødé ✓' }).text, '50%_off ünïcødé ✓');
    assert.equal(validateCriteria({}).text, undefined);
    assert.equal(validateCriteria({ text: null }).text, undefined);
  });

  it('refuses a needle shorter than 2 or longer than 200 characters (after trimming)', () => {
    for (const text of ['a', '  a  ', 'x'.repeat(201)]) {
      assert.deepEqual(
        refusal(() => validateCriteria({ text })),
        { field: 'filter.text', message: 'filter.text: must be 2 to 200 characters' },
      );
    }
    assert.equal(validateCriteria({ text: 'x'.repeat(200) }).text?.length, 200);
  });

  it('refuses control characters, among them U+001F, which would let a needle match across two searched parts', () => {
    for (const ch of ['\u0000', '\u0001', '\u0009', '\u000a', '\u000d', '\u001b', '\u001f', '\u007f']) {
      assert.deepEqual(
        refusal(() => validateCriteria({ text: `out${ch}tag` })),
        { field: 'filter.text', message: 'filter.text: must not contain control characters (U+0000 to U+001F, U+007F)' },
        `U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    }
  });

  it('lets surrounding whitespace be trimmed rather than refused, and keeps other characters', () => {
    assert.equal(validateCriteria({ text: '\tSigned out\n' }).text, 'Signed out');
    // U+0080 to U+009F are C1 controls, not refused; U+00A0 and beyond are ordinary text.
    assert.equal(validateCriteria({ text: 'a\u00a0b' }).text, 'a\u00a0b');
  });

  it('applies the same rules to the time-bounded filter (queries and the export)', () => {
    const now = Date.parse('2026-11-21T08:00:00Z') * 1000;
    const refused = refusal(() => validateFilter({ from: '2026-11-20', text: 'a\u001fb' }, { maxSpanDays: 31 }, now));
    assert.equal(refused?.field, 'filter.text');
    assert.equal(validateFilter({ from: '2026-11-20', text: 'login' }, { maxSpanDays: 31 }, now).text, 'login');
  });
});
