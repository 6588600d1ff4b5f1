import { KafkaJSError } from 'kafkajs';
import { EventDecodeException, SchemaRegistryException, type DecodeReason } from '@vigil/events';

/** Why a message was dead-lettered by the host: a decode reason, a store data error, or an isolated poison event. */
export type DeadLetterReason = DecodeReason | 'store-data' | 'store-integrity' | 'store-limit' | 'poison';

/** Why a batch is retried with backoff, for health, metrics and logs. */
export type TransientReason =
  | 'database-unavailable'
  | 'database-conflict'
  | 'database-resources'
  | 'registry-unavailable'
  | 'kafka-unavailable'
  | 'network'
  | 'not-the-events';

/**
 * A handler's failure no event of the batch is to blame for (the reader is stopping, a checkpoint could not be
 * stored): the batch is retried like any transient failure and never bisected, so no event is dead-lettered for it.
 */
export class NotTheEventsError extends Error {
  override readonly name = 'NotTheEventsError';
}

/**
 * What the consumer host does with a failure:
 * - `data`: the event itself is at fault; it goes to audit.dlq (the batch is bisected to find it), never retried;
 * - `transient`: the world is at fault (a database, the registry or Kafka away); the batch is retried with backoff
 *   for as long as it takes, and the partition's retry shows in health and metrics;
 * - `unknown`: retried a bounded number of times, then treated as `poison` and isolated like a data error.
 */
export type FailureClass =
  | { kind: 'data'; reason: DeadLetterReason; detail: string }
  | { kind: 'transient'; reason: TransientReason; detail: string }
  | { kind: 'unknown'; detail: string };

const SQLSTATE = /^[0-9A-Z]{5}$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres reports a lost or unobtainable connection without a SQLSTATE. */
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** The SQLSTATE classes and codes of PostgreSQL's Appendix A that decide a failure's class. */
function classifySqlState(code: string, detail: string): FailureClass {
  const withCode = `${detail} (SQLSTATE ${code})`;
  if (code.startsWith('08')) return { kind: 'transient', reason: 'database-unavailable', detail: withCode };
  if (code === '40001' || code === '40P01') return { kind: 'transient', reason: 'database-conflict', detail: withCode };
  if (code === '57P01' || code === '57P02' || code === '57P03')
    return { kind: 'transient', reason: 'database-unavailable', detail: withCode };
  if (code.startsWith('53')) return { kind: 'transient', reason: 'database-resources', detail: withCode };
  if (code.startsWith('22')) return { kind: 'data', reason: 'store-data', detail: withCode };
  // The store's one expected conflict, (time, id), never raises: the insert says ON CONFLICT DO NOTHING.
  if (code.startsWith('23')) return { kind: 'data', reason: 'store-integrity', detail: withCode };
  if (code.startsWith('54')) return { kind: 'data', reason: 'store-limit', detail: withCode };
  return { kind: 'unknown', detail: withCode };
}

function property(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

/**
 * The one place the consumer host decides what a failure is (docs/consumer-host.md, "Failure classes"). Errors are
 * recognised by type where libs/kafka may import it, and by their documented shape otherwise (a PostgreSQL error
 * carries a SQLSTATE `code` and a `severity`; a Node socket error a `code` such as ECONNREFUSED).
 */
export function classifyFailure(err: unknown): FailureClass {
  if (typeof err !== 'object' || err === null) return { kind: 'unknown', detail: String(err) };
  const detail = err instanceof Error ? err.message : JSON.stringify(err);
  if (err instanceof EventDecodeException) return { kind: 'data', reason: err.reason, detail };
  if (err instanceof NotTheEventsError) return { kind: 'transient', reason: 'not-the-events', detail };
  if (err instanceof SchemaRegistryException) return { kind: 'transient', reason: 'registry-unavailable', detail };
  // Every broker error reaching the host (a dead letter or a commit that could not be written) is Kafka's, not the event's.
  if (err instanceof KafkaJSError) return { kind: 'transient', reason: 'kafka-unavailable', detail };
  const code = property(err, 'code');
  if (typeof code === 'string' && SQLSTATE.test(code) && typeof property(err, 'severity') === 'string')
    return classifySqlState(code, detail);
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { kind: 'transient', reason: 'network', detail };
  if (PG_CONNECTION_MESSAGES.test(detail)) return { kind: 'transient', reason: 'database-unavailable', detail };
  return { kind: 'unknown', detail };
}
