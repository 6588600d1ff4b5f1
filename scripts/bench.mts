// `npm run bench [-- name ...]`: build, bring the test stack up (never the development stack: benchmarks write to
// its audit.* topics and to their own database, vigil_bench), run every benchmark (or the named ones) one after
// another, each writing JSON to bench/results/ and printing a table.
// `npm run bench:seed -- --events N [...]`: fill a store with realistic data for the query benchmark.
import { globSync } from 'node:fs';
import path from 'node:path';
import { build } from './lib/build.mts';
import { benchDatabaseUrl, testStackEnv } from './lib/env.mts';
import { prepareStack } from './lib/prepare.mts';
import { log, root, run, ScriptError } from './lib/proc.mts';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  await build();
  // The sinks benchmark measures the Elasticsearch/OpenSearch sink against a real OpenSearch node.
  await run(process.execPath, ['scripts/stack.mts', 'up', 'test', '--with', 'opensearch']);
  // Benchmarks run against the bench database, on topics and schemas that must exist (a fresh stack has none).
  const env = testStackEnv(benchDatabaseUrl);
  await prepareStack(env);
  if (args[0] === '--seed') {
    await run(process.execPath, ['--enable-source-maps', 'dist/bench/query-seed.bench.js', ...args.slice(1)], { env });
    return;
  }
  const wanted = args;
  const benches = globSync('dist/bench/*.bench.js', { cwd: root })
    .sort()
    .filter((file) => !file.endsWith('query-seed.bench.js'))
    // The insert-strategy comparison is a design experiment (docs/store.md): it runs only when named.
    .filter((file) =>
      wanted.length === 0 ? !file.endsWith('insert-strategy.bench.js') : wanted.some((w) => path.basename(file).startsWith(w)),
    );
  if (benches.length === 0) throw new ScriptError(`no benchmark matches ${wanted.join(', ')}`);
  for (const file of benches) {
    log(`bench ${path.basename(file, '.bench.js')}`);
    await run(process.execPath, ['--enable-source-maps', file], { env: { ...env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' } });
  }
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
