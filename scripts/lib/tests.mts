// Runs compiled test files with Node's built-in test runner.
import { globSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { log, root, run, ScriptError } from './proc.mts';

export type Suite = 'unit' | 'integration' | 'cluster';

const patterns: Record<Suite, string[]> = {
  /** The console's pure modules run from source (Node strips their types); the rest from dist. */
  unit: ['dist/**/*.spec.js', 'apps/console/src/**/*.spec.ts'],
  integration: ['dist/**/*.int-spec.js', 'dist/**/*.e2e-spec.js'],
  /** Against the secured three-broker stack only (`npm run test:cluster`). */
  cluster: ['dist/**/*.cluster-spec.js'],
};

export async function runTests(
  suites: readonly Suite[],
  extraArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const files = suites.flatMap((suite) => patterns[suite].flatMap((p) => globSync(p, { cwd: root }))).sort();
  if (files.length === 0) throw new ScriptError(`no test files found for ${suites.join(' + ')}; did the build run?`);
  log(`running ${files.length} test files (${suites.join(' + ')})`);
  // `--test-force-exit` so that a client a test left open cannot hold the run; test-exit.mts so that it does not cut
  // off the results of the file it ends (Node's own exit can: see that file).
  const exitPreload = pathToFileURL(path.join(root, 'scripts', 'lib', 'test-exit.mts')).href;
  await run(
    process.execPath,
    ['--import', exitPreload, '--test', '--test-timeout=300000', '--test-force-exit', '--enable-source-maps', ...extraArgs, ...files],
    { env },
  );
}
