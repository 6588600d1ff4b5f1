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
}

export function clean(): void {
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
}
