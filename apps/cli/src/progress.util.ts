import { SingleBar, Presets } from 'cli-progress';
import type { Output } from './cli.util';

/**
 * Progress of a long command: a bar with done/total, rate and ETA on a terminal; a plain line every
 * 5 seconds otherwise (CI logs, pipes); nothing with --json. Always on stderr, so stdout stays the result.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private done = 0;
  private readonly started = Date.now();
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: Output,
  ) {
    if (!out.json && process.stderr.isTTY) {
      this.bar = new SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate}/s | ETA {eta_formatted}`,
          stream: process.stderr,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      );
      this.bar.start(total, 0, { rate: 0 });
    }
  }

  increment(n: number): void {
    this.done += n;
    const rate = Math.round(this.done / Math.max(0.001, (Date.now() - this.started) / 1000));
    if (this.bar !== undefined) {
      this.bar.update(this.done, { rate });
    } else if (!this.out.json && Date.now() - this.lastLine >= 5000) {
      this.lastLine = Date.now();
      const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
      process.stderr.write(`${this.label}: ${this.done}/${this.total} events, ${rate}/s, ETA ${eta}s\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    if (this.bar === undefined && !this.out.json) process.stderr.write(`${this.label}: ${this.done}/${this.total} events\n`);
  }
}
