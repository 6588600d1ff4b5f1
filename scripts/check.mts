// `npm run check`: format, lint, type-check and unit tests; no services needed. Runs in CI too.
import path from 'node:path';
import { build } from './lib/build.mts';
import { log, root, run, ScriptError } from './lib/proc.mts';
import { runTests } from './lib/tests.mts';

const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

async function main(): Promise<void> {
  log('format (prettier --check)');
  await run(bin('prettier'), ['--check', '--log-level=warn', '.']);
  log('lint (eslint)');
  await run(bin('eslint'), ['--max-warnings', '0', '--cache', '--cache-location', 'node_modules/.cache/eslint', '.']);
  log('generated code is up to date');
  await run(process.execPath, ['scripts/codegen.mts', '--check']);
  log('type-check scripts');
  await run(bin('tsc'), ['-p', 'scripts/tsconfig.json']);
  await build();
  await runTests(['unit']);
  log('check passed');
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
