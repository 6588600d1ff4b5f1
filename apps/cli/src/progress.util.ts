import { Presets, SingleBar } from 'cli-progress';
import type { Clock } from '@vigil/common';
import type { OperationObserver } from '@vigil/operations';
import type { Output } from './cli.util';

/**
 * Progress of a long command: a bar with done/total, rate and ETA on a terminal; a plain line every
 * 5 seconds otherwise (CI logs, pipes); nothing with --json. Always on stderr, so stdout stays the result.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private done = 0;
  private readonly started: number;
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: Output,
    private readonly clock: Clock,
  ) {
    this.started = clock.now().getTime();
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
    const now = this.clock.now().getTime();
    const rate = Math.round(this.done / Math.max(0.001, (now - this.started) / 1000));
    if (this.bar !== undefined) {
      this.bar.update(this.done, { rate });
    } else if (!this.out.json && now - this.lastLine >= 5000) {
      this.lastLine = now;
      const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
      process.stderr.write(`${this.label}: ${this.done}/${this.total} events, ${rate}/s, ETA ${eta}s\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
    if (this.bar === undefined && !this.out.json) process.stderr.write(`${this.label}: ${this.done}/${this.total} events\n`);
  }
}

/** Renders an operation's reports on stderr: phases as progress, warnings always, narration unless --json. */
export function cliObserver(out: Output, clock: Clock): OperationObserver {
  let progress: Progress | undefined;
  return {
    begin: (label, total) => (progress = new Progress(label, total, out, clock)),
    advance: (n) => progress?.increment(n),
    end: () => {
      progress?.stop();
      progress = undefined;
    },
    notice: (level, message) => {
      if (level === 'warning' || !out.json) process.stderr.write(`${message}\n`);
    },
  };
}
