// Preloaded (`--import`) into the test runner and every test file's process by scripts/lib/tests.mts.
//
// `--test-force-exit` ends a test file's process once its tests and hooks are done, so that a client a test left
// open cannot hold the run. But Node (22 and 24 alike) calls `process.exit()` there while the file's last results
// may still be on their way to the runner, which then reports fewer tests than ran, can lose a failure's name and
// error, and still passes (nodejs/node#64833; seen here: 562 of 571 unit tests reported, the last nine of one file
// missing). Here that one call waits a turn of the event loop and for stdout to take everything written before it,
// which is what the runner reads the results from, and then exits with the same code. Every other `process.exit()`
// (a test's, a worker thread's, a program the tests fork) is left as it is.
import { isMainThread } from 'node:worker_threads';

const exit = process.exit.bind(process);
let exiting = false;

/** Whether the caller of process.exit is the runner's own force exit (`Test.run`), not a test, hook or program. */
function calledByTestRunner(): boolean {
  // Line 0 is the message, 1 this function, 2 the patched exit, 3 its caller.
  const caller = (new Error().stack ?? '').split('\n')[3] ?? '';
  return /^\s*at (async )?Test\.run \(node:internal\/test_runner\/test:/.test(caller);
}

if (isMainThread) {
  process.exit = (code?: number | string | null): never => {
    if (!calledByTestRunner()) return exit(code);
    if (!exiting) {
      exiting = true;
      setImmediate(() => {
        process.stdout.write('', () => exit(code));
      });
    }
    // Unlike the real exit, this returns; the runner's exit is the last thing it does.
    return undefined as never;
  };
}
