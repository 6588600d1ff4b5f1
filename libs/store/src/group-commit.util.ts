/** A batch dropped unstored because it was no longer active (an earlier batch of its partition failed, or a stop). */
export class GroupCommitDropped extends Error {
  constructor(readonly key: string) {
    super(`batch of ${key} dropped unstored: it is no longer active (an earlier batch of its partition failed)`);
    this.name = 'GroupCommitDropped';
  }
}

export interface GroupCommitOptions {
  /** Transactions at once (each on its own connection). */
  maxTransactions: number;
  /** Events in one transaction, at most; a batch bigger than this still goes, alone. */
  maxEvents: number;
  /** A transaction is only split off for at least this many events: small batches share one. */
  minEventsToSplit: number;
}

/** A batch waiting for a transaction. */
interface Waiting<T, R> {
  items: readonly T[];
  /** Batches with the same key never share a transaction or run in two at once (a partition's batches, in order). */
  key: string;
  /** Its group failed: it goes again in a transaction of its own, so its answer is its own. */
  alone?: boolean;
  /** False once the batch is no longer wanted (a batch of its partition before it failed): dropped, never stored. */
  isActive?: () => boolean;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit: batches handed in at about the same time (the partition batches of one Kafka fetch, which kafkajs
 * hands to its workers together) are stored in shared transactions instead of one transaction each. Whatever is
 * waiting when a transaction slot frees up, or at the end of the event-loop turn in which the first batch arrived, is
 * spread over the free slots, balanced by size, each group of batches one `storeAll` call.
 *
 * A group that fails is not blamed on all its batches: each batch is then stored alone (in parallel over the free
 * slots), so each gets its own answer
 * (the consumer host bisects a batch PostgreSQL refuses, and retries one that met an outage, per partition as before).
 */
export class GroupCommitQueue<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly storeAll: (batches: readonly (readonly T[])[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {
    if (options.maxTransactions < 1) throw new Error('GroupCommitQueue needs at least one transaction at once');
  }

  /**
   * Resolves with the batch's own result once the transaction that held it committed. `isActive` is asked as the
   * batch is about to go into a transaction: a batch no longer active is dropped unstored and rejected
   * (GroupCommitDropped), so a partition whose earlier batch failed never has a later one stored before it.
   */
  store(key: string, items: readonly T[], isActive?: () => boolean): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ items, key, resolve, reject, ...(isActive !== undefined && { isActive }) });
      this.schedule();
    });
  }

  /** Transactions running now (tests and metrics). */
  get inFlight(): number {
    return this.running;
  }

  /** Dispatches at the end of this turn of the event loop, so the batches of one fetch arriving together group. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const free = this.options.maxTransactions - this.running;
    if (free <= 0) return;
    const ready: Waiting<T, R>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.waiting.length;) {
      const batch = this.waiting[i] as Waiting<T, R>;
      if (this.busy.has(batch.key) || keys.has(batch.key)) {
        i++;
        continue;
      }
      if (batch.isActive?.() === false) {
        this.waiting.splice(i, 1);
        batch.reject(new GroupCommitDropped(batch.key));
        continue;
      }
      keys.add(batch.key);
      ready.push(batch);
      this.waiting.splice(i, 1);
    }
    if (ready.length === 0) return;
    // Batches of a failed group first, each alone, over the free slots; then the others share what is left.
    const groups = ready
      .filter((b) => b.alone === true)
      .slice(0, free)
      .map((b) => [b]);
    const shared = ready.filter((b) => b.alone !== true);
    if (free > groups.length && shared.length > 0) groups.push(...this.split(shared, free - groups.length));
    // What did not fit waits for the next free slot, ahead of later arrivals.
    const left = ready.filter((b) => !groups.some((g) => g.includes(b)));
    this.waiting.unshift(...left);
    for (const group of groups) void this.run(group);
  }

  /**
   * Up to `free` groups of at most maxEvents each (a bigger batch alone), as many as the events call for
   * (minEventsToSplit per group), biggest batch first into the smallest group.
   */
  private split(ready: Waiting<T, R>[], free: number): Waiting<T, R>[][] {
    const events = ready.reduce((n, b) => n + b.items.length, 0);
    const wanted = Math.max(1, Math.floor(events / this.options.minEventsToSplit), Math.ceil(events / this.options.maxEvents));
    const count = Math.min(free, ready.length, wanted);
    const groups: { batches: Waiting<T, R>[]; events: number }[] = Array.from({ length: count }, () => ({ batches: [], events: 0 }));
    for (const batch of [...ready].sort((a, b) => b.items.length - a.items.length)) {
      const smallest = groups.reduce((min, g) => (g.events < min.events ? g : min));
      if (smallest.batches.length > 0 && smallest.events + batch.items.length > this.options.maxEvents) continue;
      smallest.batches.push(batch);
      smallest.events += batch.items.length;
    }
    // Keep arrival order inside a group (it is also the order of the rows handed to PostgreSQL).
    return groups.filter((g) => g.batches.length > 0).map((g) => ready.filter((b) => g.batches.includes(b)));
  }

  private async run(group: readonly Waiting<T, R>[]): Promise<void> {
    this.running++;
    for (const batch of group) this.busy.add(batch.key);
    try {
      if (group.length === 1) {
        await this.settle(group[0] as Waiting<T, R>);
        return;
      }
      let results: R[];
      try {
        results = await this.storeAll(group.map((b) => b.items));
      } catch {
        // Whose fault it was is each batch's own answer: each goes again alone, ahead of later arrivals and over every
        // free slot at once (one after another in this slot, an outage's connection timeouts would add up).
        for (const batch of group) batch.alone = true;
        this.waiting.unshift(...group);
        return;
      }
      group.forEach((batch, i) => batch.resolve(results[i] as R));
    } finally {
      for (const batch of group) this.busy.delete(batch.key);
      this.running--;
      if (this.waiting.length > 0) this.schedule();
    }
  }

  /** One batch in a transaction of its own. */
  private async settle(batch: Waiting<T, R>): Promise<void> {
    try {
      const [result] = await this.storeAll([batch.items]);
      batch.resolve(result as R);
    } catch (err) {
      batch.reject(err);
    }
  }
}
