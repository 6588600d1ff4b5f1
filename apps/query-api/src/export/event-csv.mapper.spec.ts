import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cell } from './event-csv.mapper';

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks as RFC 4180 says', () => {
    assert.equal(cell('a,b'), '"a,b"');
    assert.equal(cell('say "hi"'), '"say ""hi"""');
    assert.equal(cell('two\nlines'), '"two\nlines"');
    assert.equal(cell(null), '');
    assert.equal(cell(401), '401');
  });

  it('neutralises text a spreadsheet would run as a formula', () => {
    assert.equal(cell('=HYPERLINK("http://evil","click")'), '"\'=HYPERLINK(""http://evil"",""click"")"');
    assert.equal(cell('+1+1'), "'+1+1");
    assert.equal(cell('-2+3'), "'-2+3");
    assert.equal(cell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(cell('\tcmd'), '"\'\tcmd"');
    assert.equal(cell('plain text'), 'plain text');
    // Split on `;` (the list separator in German or French locales), the second cell would be a formula.
    assert.equal(cell('Report;=HYPERLINK(ZEICHEN(104));'), '"Report;=HYPERLINK(ZEICHEN(104));"');
    assert.equal(cell('a\t=1+1'), '"a\t=1+1"');
  });
});
