import { CliError } from './cli.util';

/** Ctrl-C (or SIGTERM) during a long command: a promise that rejects with a message saying how to resume. */
export class Interruption {
  readonly promise: Promise<never>;
  private fired = false;

  constructor(private readonly message: string) {
    this.promise = new Promise<never>((_, reject) => {
      const fire = (): void => {
        if (this.fired) return;
        this.fired = true;
        reject(new CliError(message, 130));
      };
      process.once('SIGINT', fire);
      process.once('SIGTERM', fire);
    });
    this.promise.catch(() => undefined); // observed by whoever races it
  }

  get interrupted(): boolean {
    return this.fired;
  }

  /** Throws the interruption between steps of a command, when Ctrl-C came while no step was racing it. */
  check(): void {
    if (this.fired) throw new CliError(this.message, 130);
  }
}
