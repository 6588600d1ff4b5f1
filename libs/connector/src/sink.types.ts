import type { AuditEvent } from '@vigil/events';
import type { ConnectorDefinition } from './connector-config.schema';
import type { Logger } from 'pino';

/** What a sink may read of an event besides its record: enough to route it (an index per tenant and day) and name it. */
export type EventRef = Pick<AuditEvent, 'id' | 'tenantId' | 'time'>;

/** One event as a sink sends it: the event and its record in the connector's format, serialised once. */
export interface SinkRecord {
  event: EventRef;
  /**
   * The event's record (`FormatMapper.toRecord`) as JSON text in UTF-8, what the sink's `encode` returned: used for
   * byte accounting and framed into request bodies as it is (`joinRecords`).
   */
  bytes: Buffer;
  /** The whole decoded event; always there for a sink without `encoding` (its events are decoded on the main thread). */
  whole?: AuditEvent;
}

/**
 * How a worker thread builds a sink's `encode`: `require(module)[factory](options)` must return a function equal to
 * it. `options` is plain data (structured-cloned to the thread), never a secret.
 */
export interface SinkEncoding {
  /** Absolute path of the compiled module that exports the factory (the sink's own `__filename`). */
  module: string;
  factory: string;
  options: unknown;
}

/** What the SIEM made of a batch. */
export type DeliveryResult =
  /** Every event accepted (and acknowledged, where the SIEM acknowledges); `truncated` of them cut to fit a limit. */
  | { kind: 'ok'; truncated?: number | undefined }
  /**
   * Try again later: network error, timeout, 408, 429, 5xx, busy. `delivered` are indexes the SIEM accepted anyway
   * (earlier parts of a batch sent in several requests, bulk items that landed): only the others are sent again.
   */
  | { kind: 'retryable'; reason: string; retryAfterMs?: number | undefined; delivered?: readonly number[] | undefined }
  /** The SIEM refuses our credentials or configuration (401/403, missing channel): an operator must act. */
  | { kind: 'auth-failed'; reason: string }
  /**
   * Permanently refused. `rejected` are indexes of events refused on their own (they go to the dead-letter topic);
   * `delivered` are indexes accepted anyway; any other event is resent. An empty `rejected` means the batch as a
   * whole was refused (malformed, too large) without naming an event: the runner splits it to isolate the bad ones.
   */
  | { kind: 'rejected'; reason: string; rejected: readonly number[]; delivered: readonly number[] };

/** One SIEM vendor. Config comes through the constructor; the runner knows nothing vendor-specific. */
export interface Sink {
  /** Checks the SIEM answers before the connector starts consuming; returns a problem or undefined. */
  probe?(signal: AbortSignal): Promise<string | undefined>;
  /** The event's record in the connector's format, as JSON text. */
  encode(event: AuditEvent): string;
  /**
   * How worker threads encode for this sink (decoding and mapping off the main thread); absent for a sink whose
   * deliver needs the whole events (`SinkRecord.whole`), whose events are then decoded and mapped on the main thread.
   */
  readonly encoding?: SinkEncoding | undefined;
  /** Sends one batch (records in partition order); must not throw for SIEM answers, only return them. */
  deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult>;
  close?(): Promise<void>;
}

/** Builds the sink of one connector (an app provides one for its type). */
export type SinkFactory<Settings> = (connector: ConnectorDefinition<Settings>, logger: Logger) => Sink;
