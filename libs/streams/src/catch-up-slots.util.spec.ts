import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CatchUpSlots } from './catch-up-slots.util';

const never = (): AbortSignal => new AbortController().signal;
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(CatchUpSlots.name, () => {
  it('lets one tenant hold at most perTenant slots, so another tenant’s stream gets one at once', async () => {
    const slots = new CatchUpSlots(4, 2);
    assert.equal(await slots.acquire(never(), 'greedy'), true);
    assert.equal(await slots.acquire(never(), 'greedy'), true);
    let third = false;
    void slots.acquire(never(), 'greedy').then((ok) => (third = ok));
    await settled();
    assert.equal(third, false, 'the tenant’s third catch-up waits although two slots are free');
    assert.equal(await slots.acquire(never(), 'other'), true);
    assert.deepEqual([slots.taken('greedy'), slots.taken('other'), slots.taken()], [2, 1, 3]);
    slots.release('greedy');
    await settled();
    assert.equal(third, true, 'it goes once its tenant has a slot back');
  });

  it('gives a released slot to the first waiter that may take it, past a waiter whose tenant is at its bound', async () => {
    const slots = new CatchUpSlots(2, 1);
    await slots.acquire(never(), 'a');
    await slots.acquire(never(), 'b');
    const order: string[] = [];
    void slots.acquire(never(), 'a').then(() => order.push('a'));
    void slots.acquire(never(), 'c').then(() => order.push('c'));
    slots.release('b');
    await settled();
    assert.deepEqual(order, ['c']);
    slots.release('a');
    await settled();
    assert.deepEqual(order, ['c', 'a']);
  });

  it('never hands a released slot to a waiter that gave up', async () => {
    const slots = new CatchUpSlots(1, 1);
    await slots.acquire(never(), 'a');
    const quitter = new AbortController();
    const gaveUp = slots.acquire(quitter.signal, 'b');
    let later = false;
    void slots.acquire(never(), 'c').then((ok) => (later = ok));
    quitter.abort();
    assert.equal(await gaveUp, false);
    slots.release('a');
    await settled();
    assert.equal(later, true, 'the slot went to the waiter still in line');
  });
});
