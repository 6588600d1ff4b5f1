import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throwIfAborted, untilAborted } from './interruption.util';
import { OperationsErrorCode, OperationsException } from './operations.exception';

const interrupted = (message: string) => (err: unknown) =>
  err instanceof OperationsException && err.code === OperationsErrorCode.INTERRUPTED && err.message === message;

describe('untilAborted', () => {
  it('resolves with the work when nobody interrupts', async () => {
    assert.equal(await untilAborted(new AbortController().signal, Promise.resolve(42), 'resume'), 42);
  });

  it('fails with INTERRUPTED and the resume message as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => undefined);
    const raced = untilAborted(controller.signal, never, 'run it again to resume');
    controller.abort();
    await assert.rejects(raced, interrupted('run it again to resume'));
  });

  it('fails at once when the signal already aborted, and so does throwIfAborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(untilAborted(controller.signal, Promise.resolve(1), 'x'), interrupted('x'));
    assert.throws(() => throwIfAborted(controller.signal, 'y'), interrupted('y'));
  });
});
