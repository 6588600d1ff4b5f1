/** Why a watchdog ended an export. */
export type ExportEnd = 'stalled' | 'too-long';

export interface ExportWatchdogOptions {
  /** The longest the export may wait for its client to take more (the client reads nothing). */
  stallMs: number;
  /** The longest an export may run in all, however slowly its client reads. */
  maxMs: number;
  /** Called once, when either bound is passed; the caller ends the response. */
  onExpire: (reason: ExportEnd) => void;
}

/**
 * Bounds an export's hold on its slots. An export holds one of the instance's few export slots, one of its key's
 * database slots and a connection until its body ends; a client that stops reading (or reads a byte now and then)
 * would otherwise hold them as long as it keeps the connection open, and a few such clients would refuse every
 * other tenant's export. Only the time spent waiting for the client counts toward `stallMs`: a slow database
 * read is bounded by its statement timeout instead.
 */
export class ExportWatchdog {
  private readonly startedAt = Date.now();
  private waitingSince: number | null = null;
  private readonly timer: NodeJS.Timeout;
  /** Whether it ended the export (onExpire was called). */
  expired = false;

  constructor(private readonly options: ExportWatchdogOptions) {
    const every = Math.max(10, Math.min(1000, Math.floor(options.stallMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  /** The export has handed its client a piece and waits for it to be taken. */
  waiting(): void {
    this.waitingSince ??= Date.now();
  }

  /** The client took it: the export goes on. */
  taken(): void {
    this.waitingSince = null;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.expired) return;
    const now = Date.now();
    let reason: ExportEnd | undefined;
    if (this.waitingSince !== null && now - this.waitingSince >= this.options.stallMs) reason = 'stalled';
    else if (now - this.startedAt >= this.options.maxMs) reason = 'too-long';
    if (reason === undefined) return;
    this.expired = true;
    this.stop();
    this.options.onExpire(reason);
  }
}
