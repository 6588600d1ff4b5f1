// `npm run test:cluster`: the tests that need a production-shaped Kafka. Builds, brings up the cluster stack (three
// KRaft brokers with SASL_SSL, SCRAM users and ACLs, its own registry and database: never the development or test
// stack), applies topics with replication factor 3 as the admin principal, and runs test/**/*.cluster-spec.ts.
// `npm test` stays on the single-broker test stack; CI runs this after it. `--fresh` starts the cluster's Kafka over.
import { build } from './lib/build.mts';
import { clusterStack, clusterStackEnv } from './lib/env.mts';
import { log, run, ScriptError } from './lib/proc.mts';
import { prepareStack } from './lib/prepare.mts';
import { runTests } from './lib/tests.mts';

async function main(): Promise<void> {
  await build();
  const args = process.argv.slice(2);
  const fresh = args.includes('--fresh') ? ['--fresh'] : [];
  await run(process.execPath, ['scripts/stack.mts', 'up', 'cluster', ...fresh]);
  const env = clusterStackEnv('vigil-admin');
  log(`cluster tests use the cluster stack: Kafka ${env['KAFKA_BROKERS'] ?? '?'} (SASL_SSL), ${clusterStack.databaseUrl}`);
  await prepareStack({ ...env, VIGIL_TOPIC_REPLICATION_FACTOR: '3' });
  await runTests(
    ['cluster'],
    args.filter((a) => a !== '--fresh'),
    env,
  );
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
