/**
 * Ctrl-C (or SIGTERM) during a long command: a signal the operation watches. The operation then fails with
 * INTERRUPTED and a message that says how to resume, after its own cleanup (consumers leave, offsets stay committed).
 */
export function interruptionSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return controller.signal;
}
