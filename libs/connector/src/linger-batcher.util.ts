import { recordBytes, type BatchLimits, type Sized } from './record-batch.util';

/**
 * Gathers records from concurrent partition handlers into batches of at most maxEvents and maxBytes, emitted as soon
 * as one is full or lingerMs after its first record arrived, whichever comes first.
 */
export class LingerBatcher<T extends Sized> {
  private buffer: T[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: BatchLimits & { lingerMs: number },
    private readonly emit: (batch: T[]) => void,
  ) {}

  add(records: readonly T[]): void {
    for (const record of records) {
      const size = recordBytes(record);
      if (this.buffer.length > 0 && this.bytes + size > this.limits.maxBytes) this.flush();
      this.buffer.push(record);
      this.bytes += size;
      if (this.buffer.length >= this.limits.maxEvents) this.flush();
    }
    if (this.buffer.length > 0 && this.timer === undefined) {
      if (this.limits.lingerMs === 0) this.flush();
      else this.timer = setTimeout(() => this.flush(), this.limits.lingerMs);
    }
  }

  /** Emits what is buffered now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    this.emit(batch);
  }

  /** Drops what is buffered (the connector is stopping; those records stay uncommitted). */
  clear(): T[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    return dropped;
  }
}
