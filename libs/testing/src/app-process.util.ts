import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { inheritedEnvironment } from '@vigil/config';
import { waitFor } from './wait.util';

/** The repository root, from a compiled file under dist/libs/testing/src. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * The test stack's broker process, when `npm test` (scripts/stack.mts, state in .stack-test/) started it on this
 * machine: fault tests pause it. Never the development stack's broker.
 */
export function testBrokerPid(): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(repoRoot, '.stack-test', 'kafka.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * One of Vigil's apps as a real OS process (compiled dist/apps/<app>/src/main.js), for tests that
 * kill it with SIGKILL mid-work and start it again, as a crash would.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  readonly output: string[] = [];
  port = 0;

  constructor(
    private readonly app: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Whether the process started and has not exited (a crash shows here). */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process id while it runs (a benchmark reads its CPU from /proc). */
  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  /** Starts the app and waits until /health/ready answers 200. */
  async start(timeoutMs = 60_000): Promise<this> {
    this.port = await freePort();
    const main = path.join(repoRoot, 'dist', 'apps', this.app, 'src', 'main.js');
    this.child = spawn(process.execPath, [main], {
      env: { ...inheritedEnvironment(), LOG_LEVEL: 'warn', ...this.env, HOST: '127.0.0.1', PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const child = this.child;
    // An app that exits while starting fails the start at once (waitFor would keep polling until its timeout).
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`${this.app} exited (${String(code ?? signal)}): ${this.output.join('').slice(-2000)}`)),
      ),
    );
    exited.catch(() => undefined);
    try {
      await Promise.race([
        waitFor(
          async () => (await fetch(`${this.baseUrl}/health/ready`)).status,
          (status) => status === 200,
          `${this.app} to become ready`,
          timeoutMs,
        ),
        exited,
      ]);
    } catch (err) {
      // An app that never became ready is not left running (a test that failed here has no handle to stop it), and
      // its last output says why.
      this.child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n--- last output of ${this.app} ---\n${this.output.join('').slice(-2000)}`);
    }
    return this;
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or committed. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: the graceful path. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
