// Compiles apps, libs, tests and benchmarks to dist/ with tsc (incremental), then rewrites the
// @vigil/* path aliases to relative imports (tsc-alias) so dist runs on plain Node.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { log, root, run } from './proc.mts';

const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

export async function build(options: { quiet?: boolean } = {}): Promise<void> {
  if (options.quiet !== true) log('building (tsc)');
  await run(bin('tsc'), ['-p', 'tsconfig.json']);
  await run(bin('tsc-alias'), ['-p', 'tsconfig.json']);
  await buildConsole(options);
}

/** The audit console (apps/console, Vite): type-checked with its own tsconfig, bundled into dist/console. */
export async function buildConsole(options: { quiet?: boolean } = {}): Promise<void> {
  if (options.quiet !== true) log('building the console (tsc --noEmit, vite build)');
  await run(bin('tsc'), ['-p', 'apps/console/tsconfig.json']);
  await run(bin('vite'), ['build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn']);
}

export function clean(): void {
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
}
