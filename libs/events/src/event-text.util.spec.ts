import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomCjk, randomEmoji } from '@vigil/testing';
import { clipUtf8, fitsUtf8, isStorableText, jsonMayHoldUnsafeText, sanitizeStrings, sanitizeText, utf8Length } from './event-text.util';

describe('sanitizeText', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps paired ones', () => {
    assert.equal(sanitizeText('a\u0000b'), 'a\uFFFDb');
    assert.equal(sanitizeText('x\uD800y'), 'x\uFFFDy');
    assert.equal(sanitizeText('\uDC00end'), '\uFFFDend');
    assert.equal(sanitizeText('tail\uD83D'), 'tail\uFFFD');
    assert.equal(sanitizeText('ok \uD83D\uDE00'), 'ok \uD83D\uDE00');
  });

  it('leaves random CJK and emoji untouched, and what it returns is storable', () => {
    const text = `${randomCjk(50)}${randomEmoji(50)}`;
    assert.equal(sanitizeText(text), text);
    for (const dirty of ['\u0000', '\uD800\uD800', '\uDFFF\uD800', `${randomEmoji(3)}\uDC00\u0000`])
      assert.ok(isStorableText(sanitizeText(dirty)), JSON.stringify(dirty));
  });

  it('sanitises every string of an event, however deep, and returns the same object when clean', () => {
    const clean = { a: 'x', b: ['y'], c: { d: 1 } };
    assert.equal(sanitizeStrings(clean), clean);
    assert.deepEqual(sanitizeStrings({ actor: { id: 'u\u0000' }, roles: ['\uD800'], n: 1, nil: null }), {
      actor: { id: 'u\uFFFD' },
      roles: ['\uFFFD'],
      n: 1,
      nil: null,
    });
  });
});

describe('fitsUtf8', () => {
  it('counts UTF-8 bytes, not UTF-16 units, at the bound and one past it', () => {
    assert.equal(fitsUtf8('a'.repeat(1024), 1024), true);
    assert.equal(fitsUtf8('a'.repeat(1025), 1024), false);
    // 341 CJK characters are 1,023 bytes; 342 are 1,026.
    assert.equal(fitsUtf8('語'.repeat(341), 1024), true);
    assert.equal(fitsUtf8('語'.repeat(342), 1024), false);
  });
});

describe('clipUtf8', () => {
  it('cuts at a character boundary within the byte bound', () => {
    const cjk = randomCjk(1024);
    const clipped = clipUtf8(cjk, 1024);
    assert.equal(clipped.length, 341);
    assert.ok(utf8Length(clipped) <= 1024);
    const emoji = clipUtf8(randomEmoji(300), 1023);
    assert.equal(utf8Length(emoji), 1020);
    assert.ok(isStorableText(emoji), 'no emoji cut in half');
    assert.equal(clipUtf8('short', 1024), 'short');
  });
});

describe('jsonMayHoldUnsafeText', () => {
  it('sees a NUL or a lone surrogate in JSON.stringify text, in any case, and nothing in a valid pair', () => {
    for (const text of ['a\u0000b', 'lone \uD800', 'lone \uDFFF'])
      assert.equal(jsonMayHoldUnsafeText(JSON.stringify({ k: [text] })), true, JSON.stringify(text));
    assert.equal(jsonMayHoldUnsafeText('"\\uDC00"'), true);
    for (const text of ['plain', 'pair \u{1F600}', 'U+FFFD \uFFFD', 'é 日本'])
      assert.equal(jsonMayHoldUnsafeText(JSON.stringify({ k: text })), false, text);
    // A backslash the text holds is a false alarm, which only costs a sanitising pass.
    assert.equal(jsonMayHoldUnsafeText(JSON.stringify('\\u0000')), true);
  });
});
