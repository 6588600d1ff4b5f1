// `npm test`: build, bring the local stack up if it is not, prepare the test database, then run the
// unit, integration and end-to-end tests against the real Kafka, schema registry and PostgreSQL.
// Arguments are passed to `node --test` (for example `npm test -- --test-name-pattern=replay`).
import { build } from './lib/build.mts';
import { log, run, ScriptError } from './lib/proc.mts';
import { stackEnv } from './lib/env.mts';
import { prepareStack } from './lib/prepare.mts';
import { runTests } from './lib/tests.mts';

async function main(): Promise<void> {
  await build();
  await run(process.execPath, ['scripts/stack.mts', 'up']);
  // The tests' store is vigil_test: migrate it; topics and schemas are shared with the running stack.
  await prepareStack({ ...process.env, DATABASE_URL: stackEnv.testDatabaseUrl });
  await runTests(['unit', 'integration'], process.argv.slice(2));
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
