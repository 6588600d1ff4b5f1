// `npm run build`: compile everything to dist/.
import { build } from './lib/build.mts';
import { log, ScriptError } from './lib/proc.mts';

build().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
