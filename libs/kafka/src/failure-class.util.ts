/**
 * What a handler's failure means for the batch:
 * - `transient`: the infrastructure's fault (database or broker unreachable, deadlock, shutdown). The batch is
 *   retried in place with backoff until it passes; no event is to blame.
 * - `data`: one or more events cannot be handled (a PostgreSQL data exception, an index row too large). Retrying
 *   cannot help: the batch is split until the events at fault are found and dead-lettered.
 * - `unknown`: anything else. Retried a bounded number of times (it may be transient), then treated as `data`.
 */
export type FailureClass = 'transient' | 'data' | 'unknown';

export interface ClassifiedFailure {
  class: FailureClass;
  /** The dead-letter reason when the failure ends as a letter, e.g. `store-program-limit`. */
  reason: string;
}

/** A handler's own knowledge of its failures (the store's SQLSTATEs); undefined leaves the error to the defaults. */
export type FailureClassifier = (err: unknown) => ClassifiedFailure | undefined;

/** Node's socket and DNS errors: the peer is unreachable, not the data wrong. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function property(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/**
 * The defaults every consumer of the host gets, after the handler's own classifier: broker errors (kafkajs
 * names its errors KafkaJS*) and network errors are transient; everything else is unknown.
 */
export function classifyFailure(err: unknown, specific?: FailureClassifier): ClassifiedFailure {
  const own = specific?.(err);
  if (own !== undefined) return own;
  const name = property(err, 'name');
  if (typeof name === 'string' && name.startsWith('KafkaJS')) return { class: 'transient', reason: 'kafka' };
  const code = property(err, 'code');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { class: 'transient', reason: 'network' };
  const cause = property(err, 'cause');
  if (cause !== undefined && cause !== err) {
    const fromCause = classifyFailure(cause, specific);
    if (fromCause.class !== 'unknown') return fromCause;
  }
  return { class: 'unknown', reason: 'handler-failed' };
}
