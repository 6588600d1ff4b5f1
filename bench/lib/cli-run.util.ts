import { spawn } from 'node:child_process';
import path from 'node:path';
import { inheritedEnvironment } from '@vigil/config';
import { repoRoot } from '@vigil/testing';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as an operator would, with this process's environment plus `env`. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/apps/cli/src/main.js'), ...args], {
    env: { ...inheritedEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
