// Runs compiled test files with Node's built-in test runner.
import { globSync } from 'node:fs';
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
  await run(process.execPath, ['--test', '--test-timeout=300000', '--test-force-exit', '--enable-source-maps', ...extraArgs, ...files], {
    env,
  });
}
