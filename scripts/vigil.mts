// `npm run vigil -- <command>`: builds if needed (incremental), then runs the CLI from dist/.
import { build } from './lib/build.mts';
import { log, run, ScriptError } from './lib/proc.mts';

async function main(): Promise<void> {
  await build({ quiet: true });
  await run(process.execPath, ['--enable-source-maps', 'dist/apps/cli/src/main.js', ...process.argv.slice(2)]);
}

main().catch((err: unknown) => {
  // The CLI already printed its own error; only pass its exit code on.
  if (err instanceof ScriptError && /exited with code (\d+)/.test(err.message)) {
    process.exitCode = Number(/exited with code (\d+)/.exec(err.message)?.[1] ?? 1);
    return;
  }
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
