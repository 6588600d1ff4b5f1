// `npm test`: build, bring the test stack up (its own Kafka on empty data, its own registry and database: never the
// development stack a running `npm start` uses), prepare it, then run the unit, integration and end-to-end tests
// against the real Kafka, schema registry and PostgreSQL. Arguments are passed to `node --test` (for example
// `npm test -- --test-name-pattern=replay`). `VIGIL_TEST_KEEP_KAFKA=1` keeps the test Kafka's topics from the last run.
import { build } from './lib/build.mts';
import { log, run, ScriptError } from './lib/proc.mts';
import { testStack, testStackEnv } from './lib/env.mts';
import { prepareStack } from './lib/prepare.mts';
import { runTests } from './lib/tests.mts';

async function main(): Promise<void> {
  await build();
  // Fresh topics each run: nothing accumulates across runs, and no test depends on what an earlier one left.
  const fresh = process.env['VIGIL_TEST_KEEP_KAFKA'] === '1' ? [] : ['--fresh'];
  // The Elasticsearch/OpenSearch sink's tests run against a real OpenSearch node.
  await run(process.execPath, ['scripts/stack.mts', 'up', 'test', ...fresh, '--with', 'opensearch']);
  const env = testStackEnv();
  log(`tests use the test stack: Kafka ${testStack.kafkaBrokers}, registry ${testStack.schemaRegistryUrl}, ${testStack.databaseUrl}`);
  await prepareStack(env);
  await runTests(['unit', 'integration'], process.argv.slice(2), env);
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
