import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyStoreFailure } from './store-failure.util';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyStoreFailure', () => {
  const cases: [string, string, ReturnType<typeof classifyStoreFailure>][] = [
    ['index row size too large', '54000', { class: 'data', reason: 'store-program-limit' }],
    ['invalid byte sequence / untranslatable character', '22021', { class: 'data', reason: 'store-data-exception' }],
    ['unsupported \\u0000 in jsonb', '22P05', { class: 'data', reason: 'store-data-exception' }],
    ['value too long for type', '22001', { class: 'data', reason: 'store-data-exception' }],
    ['check violation', '23514', { class: 'data', reason: 'store-integrity' }],
    ['connection failure', '08006', { class: 'transient', reason: 'store-unavailable' }],
    ['serialization failure', '40001', { class: 'transient', reason: 'store-unavailable' }],
    ['deadlock', '40P01', { class: 'transient', reason: 'store-unavailable' }],
    ['admin shutdown', '57P01', { class: 'transient', reason: 'store-unavailable' }],
    ['disk full', '53100', { class: 'transient', reason: 'store-unavailable' }],
    ['undefined column: our bug, not the data', '42703', undefined],
    ['statement timeout', '57014', undefined],
  ];
  for (const [what, code, expected] of cases) {
    it(`${code} (${what})`, () => assert.deepEqual(classifyStoreFailure(pgError(code)), expected));
  }

  it('pg’s client errors without a SQLSTATE: a lost connection or a pool timeout is transient, anything else unknown', () => {
    assert.equal(classifyStoreFailure(new Error('Connection terminated unexpectedly'))?.class, 'transient');
    assert.equal(classifyStoreFailure(new Error('timeout exceeded when trying to connect'))?.class, 'transient');
    assert.equal(classifyStoreFailure(new Error('something else')), undefined);
    assert.equal(classifyStoreFailure(Object.assign(new Error('node socket'), { code: 'ECONNRESET' })), undefined);
  });
});
