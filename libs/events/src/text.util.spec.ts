import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasUnstorableCharacters, sanitizeStrings, sanitizeText, truncateUtf8, utf8Bytes } from './text.util';

describe('text rules', () => {
  it('counts UTF-8 bytes, as PostgreSQL and Kafka do', () => {
    assert.equal(utf8Bytes('abc'), 3);
    assert.equal(utf8Bytes('漢字'), 6);
    assert.equal(utf8Bytes('🔐'), 4);
  });

  it('replaces NUL and unpaired surrogates with U+FFFD, and keeps valid pairs', () => {
    assert.equal(sanitizeText('a\u0000b'), 'a\uFFFDb');
    assert.equal(sanitizeText('x\uD800y'), 'x\uFFFDy');
    assert.equal(sanitizeText('x\uDC00'), 'x\uFFFD');
    assert.equal(sanitizeText('🔐 ok'), '🔐 ok');
    assert.equal(hasUnstorableCharacters('🔐'), false);
    assert.equal(hasUnstorableCharacters('\u0000'), true);
  });

  it('sanitises every string of an event, keys included, and leaves numbers and nulls', () => {
    const event = { id: 'x', time: 1, actor: { id: 'a\u0000', roles: ['r\uD83D'] }, attributes: { 'k\u0000': 'v' }, client: null };
    assert.deepEqual(sanitizeStrings(event), {
      id: 'x',
      time: 1,
      actor: { id: 'a\uFFFD', roles: ['r\uFFFD'] },
      attributes: { 'k\uFFFD': 'v' },
      client: null,
    });
  });

  it('truncates to a number of UTF-8 bytes without cutting a character', () => {
    assert.equal(truncateUtf8('abcdef', 4), 'abcd');
    assert.equal(truncateUtf8('漢字漢字', 7), '漢字');
    assert.equal(truncateUtf8('a🔐b', 4), 'a');
    assert.equal(truncateUtf8('short', 1024), 'short');
  });
});
