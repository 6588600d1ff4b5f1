/** How often a partition batch may commit its progress at most (ms). */
export const PROGRESS_COMMIT_INTERVAL_MS = 200;

/**
 * Commits a partition batch's progress while the batch is still being worked on: never backwards, never past
 * `limit` (the batch's bound, or the first message whose dead letter is not written yet), one commit in flight at a
 * time and at most one per interval, so a fast handler costs the coordinator a few commits a second, not one per
 * step. A progress commit that fails is dropped: the batch's own commit at its end is the one that counts.
 */
export class ProgressCommitter {
  private committed: bigint;
  private lastAt = -Infinity;
  private inFlight = false;

  constructor(
    private readonly commit: (nextOffset: bigint) => Promise<void>,
    firstOffset: bigint,
    private limit: bigint,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = PROGRESS_COMMIT_INTERVAL_MS,
  ) {
    this.committed = firstOffset;
  }

  /** Nothing at or past this offset may be committed early (a message whose dead letter waits for the batch end). */
  holdAt(offset: bigint): void {
    if (offset < this.limit) this.limit = offset;
  }

  /** Every message before `nextOffset` is done. */
  advance(nextOffset: bigint): void {
    const next = nextOffset < this.limit ? nextOffset : this.limit;
    if (next <= this.committed || this.inFlight || this.now() - this.lastAt < this.intervalMs) return;
    this.inFlight = true;
    this.lastAt = this.now();
    this.commit(next).then(
      () => {
        if (next > this.committed) this.committed = next;
        this.inFlight = false;
      },
      () => {
        this.inFlight = false;
      },
    );
  }
}
