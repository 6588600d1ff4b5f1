// Small process helpers shared by the developer scripts (stack, start, test, check, bench).
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..', '..');

export function log(message: string): void {
  process.stderr.write(`vigil: ${message}\n`);
}

export class ScriptError extends Error {}

/** A command line as it may be shown: passwords in it (kafka-storage's `--add-scram ...password=...`) masked. */
export function redact(commandLine: string): string {
  return commandLine.replace(/password=[^\],\s]*/g, 'password=***');
}

/** Runs a command to completion with inherited output; throws naming the command when it fails. */
export function run(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, ...options });
    child.on('error', (err) => reject(new ScriptError(`${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ScriptError(`${redact(`${cmd} ${args.join(' ')}`)} exited with ${signal ?? `code ${String(code)}`}`));
    });
  });
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function capture(cmd: string, args: readonly string[]): string {
  const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (result.error) throw new ScriptError(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) throw new ScriptError(`${cmd} ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command line of a live process (Linux /proc), or '' where it cannot be read. */
export function commandLine(pid: number): string {
  const file = `/proc/${pid}/cmdline`;
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true or the deadline passes; returns whether it succeeded. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(intervalMs);
  }
  return false;
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

export function nodeBin(): string {
  return process.execPath;
}
