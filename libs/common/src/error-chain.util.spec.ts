import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorChain } from './error-chain.util';

describe('errorChain', () => {
  it('walks originalError before cause, outermost first, and stops at a cycle or the depth', () => {
    const root = { type: 'LEADER_NOT_AVAILABLE' };
    const middle = new Error('retries exhausted', { cause: root });
    const outer = Object.assign(new Error('non-retriable'), { originalError: middle, cause: new Error('ignored') });
    assert.deepEqual([...errorChain(outer)], [outer, middle, root]);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    assert.equal([...errorChain(loop)].length, 1);
    const deep = Array.from({ length: 10 }).reduce<unknown>((cause) => ({ cause }), undefined);
    assert.equal([...errorChain(deep, 3)].length, 3);
    assert.deepEqual([...errorChain('text')], []);
  });
});
