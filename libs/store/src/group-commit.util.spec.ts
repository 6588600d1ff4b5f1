import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitQueue, type GroupCommitOptions } from './group-commit.util';

/** A fake `storeAll` that records each transaction's batches and can be held open or made to fail. */
class FakeStore {
  readonly transactions: string[][][] = [];
  running = 0;
  maxRunning = 0;
  private gates: (() => void)[] = [];
  hold = false;
  failWhen: (batches: readonly (readonly string[])[]) => Error | undefined = () => undefined;

  readonly storeAll = async (batches: readonly (readonly string[])[]): Promise<string[]> => {
    this.transactions.push(batches.map((b) => [...b]));
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.gates.push(resolve));
      else await new Promise((resolve) => setImmediate(resolve));
      const err = this.failWhen(batches);
      if (err !== undefined) throw err;
      return batches.map((b) => `stored ${b.join('')}`);
    } finally {
      this.running--;
    }
  };

  release(): void {
    const gates = this.gates;
    this.gates = [];
    for (const open of gates) open();
  }
}

const options = (o: Partial<GroupCommitOptions> = {}): GroupCommitOptions => ({
  maxTransactions: 3,
  maxEvents: 100,
  minEventsToSplit: 10,
  ...o,
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(GroupCommitQueue.name, () => {
  it('stores the batches handed in together in one transaction and answers each with its own result', async () => {
    const store = new FakeStore();
    const queue = new GroupCommitQueue(store.storeAll, options());
    const results = await Promise.all([queue.store('p0', ['a', 'b']), queue.store('p1', ['c']), queue.store('p2', ['d'])]);
    assert.deepEqual(results, ['stored ab', 'stored c', 'stored d']);
    assert.deepEqual(store.transactions, [[['a', 'b'], ['c'], ['d']]], 'one transaction, batches in arrival order');
  });

  it('spreads enough events over the free transactions, balanced by size, never above maxEvents', async () => {
    const store = new FakeStore();
    const queue = new GroupCommitQueue(store.storeAll, options({ maxTransactions: 2, maxEvents: 40 }));
    const batch = (n: number, c: string): string[] => Array.from({ length: n }, () => c);
    await Promise.all([queue.store('p0', batch(30, 'a')), queue.store('p1', batch(20, 'b')), queue.store('p2', batch(10, 'c'))]);
    const sizes = store.transactions.map((t) => t.reduce((n, b) => n + b.length, 0)).sort();
    assert.deepEqual(sizes, [30, 30], 'the biggest batch alone, the other two together');
    assert.equal(store.maxRunning, 2);
  });

  it('runs at most maxTransactions at once; what arrives meanwhile waits and then goes together', async () => {
    const store = new FakeStore();
    store.hold = true;
    const queue = new GroupCommitQueue(store.storeAll, options({ maxTransactions: 1 }));
    const first = queue.store('p0', ['a']);
    await turn();
    const later = [queue.store('p1', ['b']), queue.store('p2', ['c'])];
    await turn();
    assert.equal(store.transactions.length, 1, 'the second and third wait for the slot');
    store.hold = false;
    store.release();
    assert.deepEqual(await Promise.all([first, ...later]), ['stored a', 'stored b', 'stored c']);
    assert.deepEqual(store.transactions, [[['a']], [['b'], ['c']]]);
    assert.equal(store.maxRunning, 1);
  });

  it("never puts a partition's next batch beside or before its batch still in flight", async () => {
    const store = new FakeStore();
    store.hold = true;
    const queue = new GroupCommitQueue(store.storeAll, options({ maxTransactions: 3 }));
    const first = queue.store('p0', ['a']);
    await turn();
    const second = queue.store('p0', ['b']);
    const other = queue.store('p1', ['c']);
    await turn();
    assert.deepEqual(store.transactions, [[['a']], [['c']]], "p1 goes on; p0's second batch waits for its first");
    store.hold = false;
    store.release();
    assert.deepEqual(await Promise.all([first, second, other]), ['stored a', 'stored b', 'stored c']);
    assert.deepEqual(store.transactions[2], [['b']]);
  });

  it('stores the batches of a failed transaction one by one, so only the batch at fault fails', async () => {
    const store = new FakeStore();
    const poison = new Error('22021 invalid byte sequence');
    store.failWhen = (batches) => (batches.some((b) => b.includes('x')) ? poison : undefined);
    const queue = new GroupCommitQueue(store.storeAll, options());
    const results = await Promise.allSettled([queue.store('p0', ['a']), queue.store('p1', ['x']), queue.store('p2', ['c'])]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['stored a', poison.message, 'stored c'],
    );
    assert.deepEqual(store.transactions, [[['a'], ['x'], ['c']], [['a']], [['x']], [['c']]]);
    assert.equal(store.maxRunning, 3, 'each alone, all at once');
  });

  it("drops, unstored, a partition's waiting batch that is no longer active once the batch before it failed", async () => {
    const store = new FakeStore();
    store.hold = true;
    store.failWhen = (batches) => (batches.some((b) => b.includes('x')) ? new Error('57P01 terminating connection') : undefined);
    const queue = new GroupCommitQueue(store.storeAll, options());
    let nextActive = true;
    const failing = queue.store('p0', ['x']);
    await turn();
    // The partition's next batch, fetched ahead, waits behind it; the host makes it inactive as the first one fails.
    const next = queue.store('p0', ['b'], () => nextActive);
    void failing.catch(() => (nextActive = false));
    await turn();
    store.hold = false;
    store.release();
    await assert.rejects(failing, /57P01/);
    await assert.rejects(next, { name: 'GroupCommitDropped' });
    assert.deepEqual(store.transactions, [[['x']]], 'the batch after the failed one never reached a transaction');
  });

  it('refuses to be built without a transaction to run', () => {
    assert.throws(() => new GroupCommitQueue(new FakeStore().storeAll, options({ maxTransactions: 0 })), /at least one transaction/);
  });
});
