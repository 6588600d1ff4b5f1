import { OperationsErrorCode, OperationsException } from './operations.exception';

/**
 * Races work against an abort signal: when the operator interrupts, the operation fails with INTERRUPTED and the
 * message that says how to resume, while the work is left to its own cleanup (its `finally` blocks).
 */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>, message: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new OperationsException(OperationsErrorCode.INTERRUPTED, message));
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(new OperationsException(OperationsErrorCode.INTERRUPTED, message)), { once: true }),
    ),
  ]);
}

/** Fails with INTERRUPTED between steps, when the interruption came while no step was racing it. */
export function throwIfAborted(signal: AbortSignal, message: string): void {
  if (signal.aborted) throw new OperationsException(OperationsErrorCode.INTERRUPTED, message);
}
