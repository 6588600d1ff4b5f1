/** Why a slot was not granted: every slot of the key is busy and its queue is full, or the wait ran out. */
export class SlotRefused extends Error {
  constructor(readonly reason: 'queue-full' | 'wait-timeout') {
    super(reason);
    this.name = 'SlotRefused';
  }
}

/** Gives the slot back; calling it again does nothing (a `finally` and an error path may both call it). */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  refuse: (err: SlotRefused) => void;
  timer: NodeJS.Timeout;
}

interface KeyState {
  active: number;
  waiting: Waiter[];
}

export interface KeyedSemaphoreOptions {
  /** Slots per key held at once. */
  slots: number;
  /** Callers of one key that may wait for a slot; one more is refused at once. */
  maxWaiting: number;
  /** How long a caller waits for a slot before it is refused. */
  waitMs: number;
}

/**
 * At most `slots` holders per key; up to `maxWaiting` more wait in arrival order (first come, first served
 * within a key), and beyond that a caller is refused at once. Keys never wait on each other: one key's queue
 * holds only that key's callers, which is what keeps one busy API key from delaying another tenant.
 */
export class KeyedSemaphore {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly options: KeyedSemaphoreOptions) {}

  /** Slots held now by `key` (for tests and metrics). */
  active(key: string): number {
    return this.keys.get(key)?.active ?? 0;
  }

  /** Slots held now over every key. */
  get totalActive(): number {
    let total = 0;
    for (const state of this.keys.values()) total += state.active;
    return total;
  }

  /** A slot at once, or undefined when every slot of the key is held (for work that is refused rather than queued). */
  tryAcquire(key: string): Release | undefined {
    const state = this.keys.get(key) ?? { active: 0, waiting: [] };
    if (state.active >= this.options.slots) return undefined;
    state.active += 1;
    this.keys.set(key, state);
    return this.releaser(key, state);
  }

  acquire(key: string): Promise<Release> {
    const state = this.keys.get(key) ?? { active: 0, waiting: [] };
    this.keys.set(key, state);
    if (state.active < this.options.slots) {
      state.active += 1;
      return Promise.resolve(this.releaser(key, state));
    }
    if (state.waiting.length >= this.options.maxWaiting) return Promise.reject(new SlotRefused('queue-full'));
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          state.waiting.splice(state.waiting.indexOf(waiter), 1);
          reject(new SlotRefused('wait-timeout'));
        }, this.options.waitMs),
      };
      waiter.timer.unref();
      state.waiting.push(waiter);
    });
  }

  private releaser(key: string, state: KeyState): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = state.waiting.shift();
      if (next) {
        // The slot passes straight to the next caller of the same key: `active` is unchanged.
        clearTimeout(next.timer);
        next.grant(this.releaser(key, state));
        return;
      }
      state.active -= 1;
      if (state.active === 0) this.keys.delete(key);
    };
  }
}
