/** What an error may carry about its cause: Node's `cause`, kafkajs' `originalError`, a protocol `type`. */
export interface ChainedError {
  name?: unknown;
  message?: unknown;
  type?: unknown;
  code?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * An error and the errors it wraps, outermost first (`originalError`, which kafkajs sets, else `cause`), at most
 * `depth` of them and never one twice. Libraries wrap a protocol error once or twice before it reaches Vigil.
 */
export function* errorChain(err: unknown, depth = 5): Generator<ChainedError> {
  const seen = new Set<unknown>();
  for (let current = err; current !== null && typeof current === 'object' && !seen.has(current) && seen.size < depth;) {
    seen.add(current);
    const e = current as ChainedError;
    yield e;
    current = e.originalError ?? e.cause;
  }
}

/** A caught value as an Error (a thrown string or object becomes one with its text as the message). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
