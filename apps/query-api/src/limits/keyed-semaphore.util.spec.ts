import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedSemaphore, SlotRefused } from './keyed-semaphore.util';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSemaphore', () => {
  it('grants up to the slots of a key, queues the next in order, and hands a released slot to the first waiter', async () => {
    const semaphore = new KeyedSemaphore({ slots: 2, maxWaiting: 5, waitMs: 10_000 });
    const first = await semaphore.acquire('a');
    await semaphore.acquire('a');
    const order: string[] = [];
    const third = semaphore.acquire('a').then((release) => (order.push('third'), release));
    const fourth = semaphore.acquire('a').then((release) => (order.push('fourth'), release));
    await settle();
    assert.deepEqual(order, []);
    assert.equal(semaphore.active('a'), 2);
    first();
    first(); // a second call gives back nothing more
    await settle();
    assert.deepEqual(order, ['third']);
    (await third)();
    await settle();
    assert.deepEqual(order, ['third', 'fourth']);
    assert.equal(semaphore.active('a'), 2);
    (await fourth)();
  });

  it('never makes one key wait for another', async () => {
    const semaphore = new KeyedSemaphore({ slots: 1, maxWaiting: 0, waitMs: 10_000 });
    await semaphore.acquire('busy');
    await assert.rejects(semaphore.acquire('busy'), (err) => err instanceof SlotRefused && err.reason === 'queue-full');
    const other = await semaphore.acquire('other');
    assert.equal(semaphore.totalActive, 2);
    other();
    assert.equal(semaphore.active('other'), 0);
  });

  it('refuses a waiter whose wait runs out, and the queue forgets it', async () => {
    const semaphore = new KeyedSemaphore({ slots: 1, maxWaiting: 1, waitMs: 20 });
    const held = await semaphore.acquire('a');
    await assert.rejects(semaphore.acquire('a'), (err) => err instanceof SlotRefused && err.reason === 'wait-timeout');
    // The timed-out waiter left the queue: a new one may wait, and gets the slot when it is released.
    const next = semaphore.acquire('a');
    held();
    (await next)();
    assert.equal(semaphore.active('a'), 0);
  });

  it('tryAcquire grants a free slot at once and refuses a full key without queueing', () => {
    const semaphore = new KeyedSemaphore({ slots: 2, maxWaiting: 5, waitMs: 10_000 });
    const first = semaphore.tryAcquire('a');
    const second = semaphore.tryAcquire('a');
    assert.ok(first && second);
    assert.equal(semaphore.tryAcquire('a'), undefined);
    assert.ok(semaphore.tryAcquire('b'), 'another key is not affected');
    first();
    first();
    const third = semaphore.tryAcquire('a');
    assert.ok(third);
    assert.equal(semaphore.tryAcquire('a'), undefined, 'a second release of the same slot gave back nothing more');
  });
});
