// `npm run chaos [-- --quick] [-- <scenario> ...]`: the fault scenarios of bench/chaos/chaos.runner.ts on the cluster
// stack (three KRaft brokers, SASL_SSL, ACLs; never the development or test stack), each repeated under load, with
// every acknowledged event counted in the store and at the SIEM double. Results: bench/results/chaos.<time>.json.
// A full run takes about 25 minutes (five of them a SIEM outage); --quick about 5.
import { build } from './lib/build.mts';
import { clusterStackEnv } from './lib/env.mts';
import { log, run, ScriptError } from './lib/proc.mts';
import { prepareStack } from './lib/prepare.mts';

async function main(): Promise<void> {
  await build();
  await run(process.execPath, ['scripts/stack.mts', 'up', 'cluster']);
  const env = clusterStackEnv('vigil-admin');
  await prepareStack({ ...env, VIGIL_TOPIC_REPLICATION_FACTOR: '3' });
  log('chaos: faults under load on the cluster stack (bench/chaos/chaos.runner.ts)');
  await run(process.execPath, ['--enable-source-maps', 'dist/bench/chaos/chaos.runner.js', ...process.argv.slice(2)], {
    env: { ...env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' },
  });
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
