import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyFailure, type FailureClassifier } from './failure-class.util';

describe('classifyFailure', () => {
  it('asks the handler’s own classifier first', () => {
    const store: FailureClassifier = (err) =>
      (err as { code?: string }).code === '54000' ? { class: 'data', reason: 'store-program-limit' } : undefined;
    assert.deepEqual(classifyFailure(Object.assign(new Error('index row size'), { code: '54000' }), store), {
      class: 'data',
      reason: 'store-program-limit',
    });
  });

  it('treats broker and network errors as transient, and looks into causes', () => {
    const kafka = Object.assign(new Error('This server is not the leader'), { name: 'KafkaJSProtocolError' });
    assert.equal(classifyFailure(kafka).class, 'transient');
    assert.equal(classifyFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).class, 'transient');
    assert.equal(
      classifyFailure(new Error('wrapped', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })).class,
      'transient',
    );
  });

  it('calls anything else unknown', () => {
    assert.deepEqual(classifyFailure(new TypeError('x is undefined')), { class: 'unknown', reason: 'handler-failed' });
    assert.deepEqual(classifyFailure('a string'), { class: 'unknown', reason: 'handler-failed' });
  });
});
