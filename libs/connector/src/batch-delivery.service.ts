import type { Logger } from 'pino';
import type { DeadLetter } from '@vigil/kafka';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.util';
import type { ConnectorStatusService } from './connector-status.service';
import { ConnectorErrorCode, ConnectorException } from './connector.exception';
import { halve } from './record-batch.util';
import { boundedReason, describeNetworkError } from './sink-http.client';
import type { DeliveryResult, Sink, SinkRecord } from './sink.types';

/** A record in flight: where it came from (for dead letters) and who waits for it (the partition handler). */
export interface PendingRecord extends SinkRecord {
  origin: { topic: string; partition: number; offset: string; key: Buffer | null; value: Buffer | null };
  /** Called exactly once, when the SIEM accepted the record or it was dead-lettered. */
  settle(): void;
}

/** The part of the connector status a delivery writes to. */
export type DeliveryStatus = Pick<ConnectorStatusService, 'recordDelivered' | 'recordFailure' | 'recordDeadLettered'> &
  Partial<Pick<ConnectorStatusService, 'recordTruncated'>>;

export interface DeadLetterSender {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

export interface DeliveryHooks {
  /** Delivery cannot proceed (backing off, or failing): stop fetching so memory stays bounded. */
  stall(state: 'backing_off' | 'failing', reason: string): void;
  /** A delivery succeeded after a stall. */
  recover(): void;
}

export interface BatchDeliveryOptions {
  connector: string;
  sink: Sink;
  deadLetters: DeadLetterSender;
  /** Where outcomes are counted: a connector's status, or a stream's health. */
  status: DeliveryStatus;
  retry: BackoffOptions;
  hooks: DeliveryHooks;
  logger: Logger;
  random?: () => number;
}

/** Reason code of a dead letter the SIEM refused (decode failures use the codec's reasons). */
export const REJECTED_BY_SIEM = 'rejected-by-siem';

/**
 * Delivers one batch until every record is accepted or dead-lettered: retryable failures back off (jitter,
 * Retry-After) and retry the same records; credential failures are probed every maxBackoffMs without dropping
 * anything; a refused batch is split until the refused events stand alone, and those go to the dead-letter topic.
 */
export class BatchDelivery {
  private attempt = 0;
  private stalled = false;

  constructor(private readonly options: BatchDeliveryOptions) {}

  async deliver(records: readonly PendingRecord[], signal: AbortSignal): Promise<void> {
    const queue: PendingRecord[][] = [[...records]];
    for (let part = queue[0]; part !== undefined; part = queue[0]) {
      if (signal.aborted) throw new ConnectorException(ConnectorErrorCode.STOPPING, 'connector stopping; batch left uncommitted');
      const started = performance.now();
      const result = await this.send(part, signal);
      switch (result.kind) {
        case 'ok':
          queue.shift();
          this.accepted(part, (performance.now() - started) / 1000);
          if ((result.truncated ?? 0) > 0) this.options.status.recordTruncated?.(this.options.connector, result.truncated ?? 0);
          break;
        case 'retryable': {
          const rest = this.settleDelivered(part, result.delivered ?? []);
          if (rest.length === 0) queue.shift();
          else queue[0] = rest;
          await this.backOff(result.reason, result.retryAfterMs, signal);
          break;
        }
        case 'auth-failed':
          await this.probeLater(result.reason, signal);
          break;
        case 'rejected':
          queue.shift();
          queue.unshift(...(await this.isolate(part, result)));
          break;
      }
    }
  }

  private async send(part: readonly PendingRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    try {
      const result = await this.options.sink.deliver(part, signal);
      // Every sink's reason is bounded here, before it reaches the logs, the status or a dead-letter header.
      return result.kind === 'ok' ? result : { ...result, reason: boundedReason(result.reason) };
    } catch (err) {
      if (signal.aborted) throw new ConnectorException(ConnectorErrorCode.STOPPING, 'connector stopping; batch left uncommitted');
      return { kind: 'retryable', reason: boundedReason(describeNetworkError(err)) };
    }
  }

  private accepted(part: readonly PendingRecord[], seconds: number): void {
    const { status, connector, hooks } = this.options;
    status.recordDelivered(connector, part.length, seconds);
    for (const record of part) record.settle();
    this.attempt = 0;
    if (this.stalled) {
      this.stalled = false;
      this.options.logger.info({ connector }, 'SIEM accepts events again; resuming');
      hooks.recover();
    }
  }

  private async backOff(reason: string, retryAfterMs: number | undefined, signal: AbortSignal): Promise<void> {
    const { status, connector, hooks, retry, logger } = this.options;
    const delay = backoffDelay(this.attempt++, retry, retryAfterMs, this.options.random);
    status.recordFailure(connector, 'retryable', reason, true);
    this.stalled = true;
    hooks.stall('backing_off', reason);
    logger.warn({ connector, reason, attempt: this.attempt, retryInMs: delay }, 'delivery failed; backing off');
    await sleep(delay, signal);
  }

  private async probeLater(reason: string, signal: AbortSignal): Promise<void> {
    const { status, connector, hooks, retry, logger } = this.options;
    status.recordFailure(connector, 'auth', reason, true);
    this.stalled = true;
    hooks.stall('failing', reason);
    logger.error(
      { connector, reason, probeInMs: retry.maxBackoffMs },
      'SIEM refuses the credentials; nothing is dropped, probing again later',
    );
    await sleep(retry.maxBackoffMs, signal);
  }

  /** Settles the records a partial answer says were accepted (indexes into `part`); returns the others, in order. */
  private settleDelivered(
    part: readonly PendingRecord[],
    indexes: readonly number[],
    except: ReadonlySet<number> = new Set(),
  ): PendingRecord[] {
    const delivered = new Set(indexes.filter((i) => i >= 0 && i < part.length && !except.has(i)));
    if (delivered.size === 0) return [...part];
    this.options.status.recordDelivered(this.options.connector, delivered.size, 0);
    for (const i of delivered) part[i]?.settle();
    return part.filter((_, i) => !delivered.has(i));
  }

  /** What is left to send after a refusal: named events dead-lettered, a whole refused batch halved (minus what landed). */
  private async isolate(part: PendingRecord[], result: Extract<DeliveryResult, { kind: 'rejected' }>): Promise<PendingRecord[][]> {
    const { status, connector, logger } = this.options;
    status.recordFailure(connector, 'rejected', result.reason, false);
    const rejected = new Set(result.rejected.filter((i) => i >= 0 && i < part.length));
    if (rejected.size === 0) {
      const unsent = this.settleDelivered(part, result.delivered);
      if (unsent.length > 1) return halve(unsent).filter((half) => half.length > 0);
      if (unsent.length === 1) await this.deadLetter(unsent, result.reason);
      return [];
    }
    const refused = new Set(part.filter((_, i) => rejected.has(i)));
    const rest = this.settleDelivered(part, result.delivered, rejected).filter((r) => !refused.has(r));
    await this.deadLetter([...refused], result.reason);
    logger.warn(
      { connector, rejected: rejected.size, resent: rest.length, reason: result.reason },
      'SIEM refused events; dead-lettered them',
    );
    return rest.length > 0 ? [rest] : [];
  }

  private async deadLetter(records: readonly PendingRecord[], reason: string): Promise<void> {
    await this.options.deadLetters.send(records.map((r) => toDeadLetter(r, REJECTED_BY_SIEM, reason)));
    this.options.status.recordDeadLettered(this.options.connector, records.length);
    for (const record of records) record.settle();
  }
}

export function toDeadLetter(
  record: Pick<PendingRecord, 'origin'> & { event?: { id: string } },
  reason: string,
  detail: string,
): DeadLetter {
  const { topic, partition, offset, key, value } = record.origin;
  return {
    origin: { topic, partition, offset },
    key,
    value,
    reason,
    detail,
    ...(record.event !== undefined && { eventId: record.event.id }),
  };
}
