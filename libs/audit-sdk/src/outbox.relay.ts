import pino, { type Logger } from 'pino';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { asError } from '@vigil/common';
import { EventValidationException, validateEvent } from '@vigil/events';
import { AuditOutboxDeadRepository } from './audit-outbox-dead.repository';
import { AuditOutboxRepository, OUTBOX_CHANNEL, type OutboxRow } from './audit-outbox.repository';
import { PublishErrorCode, PublishException } from './audit-sdk.exception';
import type { AuditPublisher } from './audit.publisher';

export interface OutboxRelayOptions {
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Pause between looks at an empty outbox (default 1,000 ms). */
  pollIntervalMs?: number;
  /** Wake on the outbox's NOTIFY instead of waiting for the next poll (default true). */
  listen?: boolean;
  /** Longest pause after failed attempts, which back off exponentially (default 30,000 ms). */
  maxBackoffMs?: number;
  /**
   * Attempts after which a row that fails on its own is moved to vigil_audit_outbox_dead (default 5). An event
   * that fails validation is moved at once; Kafka or the registry being unreachable never moves a row.
   */
  maxAttempts?: number;
  logger?: Logger;
}

/** The pg client behind a TypeORM query runner, as far as notifications go. */
interface NotificationSource {
  on(event: 'notification' | 'error', listener: () => void): void;
}

interface BatchResult {
  /** Rows taken off the outbox: published or moved aside. */
  done: number;
  error?: Error;
}

/** Kafka or the registry unreachable: nothing is wrong with the rows, and retrying later will work. */
function isTransient(err: unknown): boolean {
  return (
    err instanceof PublishException &&
    (err.code === PublishErrorCode.KAFKA_UNAVAILABLE || err.code === PublishErrorCode.REGISTRY_UNAVAILABLE)
  );
}

/** A failure of the events themselves: retrying the same rows can never succeed. */
function isPermanent(err: unknown): boolean {
  return err instanceof EventValidationException || (err instanceof PublishException && err.code === PublishErrorCode.EVENT_TOO_LARGE);
}

/**
 * Publishes the outbox to Kafka in insertion order. Each batch is one transaction that takes the
 * table's advisory lock (only one relay publishes at a time, which keeps each tenant's order across
 * instances), publishes, and deletes the rows. A crash between Kafka's ack and the commit publishes
 * the same event ids again, which consumers deduplicate; nothing is lost. A row that cannot be published for a
 * reason of its own (invalid, refused by Kafka, failing maxAttempts times) is moved to vigil_audit_outbox_dead
 * with the reason, and the rows behind it go on.
 */
export class OutboxRelay {
  private readonly outbox: AuditOutboxRepository;
  private readonly dead = new AuditOutboxDeadRepository();
  private readonly maxAttempts: number;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly listenEnabled: boolean;
  private running: Promise<void> | undefined;
  private stopping = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private listener: QueryRunner | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: AuditPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.outbox = new AuditOutboxRepository(publisher);
    this.logger = options.logger ?? pino({ level: 'warn' });
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.listenEnabled = options.listen ?? true;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  }

  /** Starts the relay loop in the background. */
  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Lets the batch in flight finish, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  /**
   * Publishes one batch in one transaction; returns the rows taken off the outbox (published or moved aside),
   * 0 when the outbox is empty or another relay holds the lock. Throws when the batch stays for a later attempt.
   */
  async runOnce(): Promise<number> {
    const result = await this.dataSource.transaction(async (manager): Promise<BatchResult> => {
      if (!(await this.outbox.tryLock(manager))) return { done: 0 };
      const rows = await this.outbox.claim(manager, this.batchSize);
      if (rows.length === 0) return { done: 0 };
      const valid: OutboxRow[] = [];
      for (const row of rows) {
        // Not transient: an event that does not validate now never will (an SDK upgrade tightened a rule).
        const issues = validateEvent(row.event);
        if (issues.length === 0) valid.push(row);
        else await this.moveAside(manager, row, `invalid event: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`, 0);
      }
      const moved = rows.length - valid.length;
      if (valid.length === 0) return { done: moved };
      try {
        // Stored events are complete: published exactly as recorded, observedTime included.
        await this.publisher.publishComplete(valid.map((row) => row.event));
      } catch (err) {
        // Unknown failures are retried with the whole batch until one of its rows reached maxAttempts.
        const exhausted = valid.some((row) => row.attempts + 1 >= this.maxAttempts);
        if (isTransient(err) || (!isPermanent(err) && !exhausted)) {
          // Commit the attempt count and the reason; the rows stay for the next attempt.
          await this.outbox.markFailed(
            manager,
            valid.map((row) => row.id),
            asError(err).message,
          );
          return { done: moved, error: asError(err) };
        }
        const isolated = await this.publishOneByOne(manager, valid);
        return { done: moved + isolated.done, ...(isolated.error !== undefined && { error: isolated.error }) };
      }
      await this.outbox.remove(
        manager,
        valid.map((row) => row.id),
      );
      return { done: rows.length };
    });
    if (result.error !== undefined && result.done === 0) throw result.error;
    if (result.error !== undefined) this.logger.warn({ err: result.error.message }, 'audit outbox relay: a row stays for another attempt');
    return result.done;
  }

  /** Publishes until the outbox is empty (or another relay holds the lock); returns the rows taken off it. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.runOnce(); n > 0; n = await this.runOnce()) total += n;
    return total;
  }

  /**
   * After a failure of the row's own (or an unknown one, maxAttempts times), finds the rows at fault: each row
   * alone, in order; a row that fails alone is moved aside, unless Kafka went away meanwhile.
   */
  private async publishOneByOne(manager: EntityManager, rows: readonly OutboxRow[]): Promise<BatchResult> {
    let done = 0;
    for (const [index, row] of rows.entries()) {
      try {
        await this.publisher.publishComplete([row.event]);
        await this.outbox.remove(manager, [row.id]);
        done++;
      } catch (err) {
        if (isTransient(err)) {
          await this.outbox.markFailed(
            manager,
            rows.slice(index).map((r) => r.id),
            asError(err).message,
          );
          return { done, error: asError(err) };
        }
        await this.moveAside(manager, row, asError(err).message, 1);
        done++;
      }
    }
    return { done };
  }

  private async moveAside(manager: EntityManager, row: OutboxRow, reason: string, failedAttempts: number): Promise<void> {
    await this.dead.moveAside(manager, row.id, reason, failedAttempts);
    this.logger.error(
      { outboxId: row.id, eventId: row.event.id, tenantId: row.event.tenantId, reason },
      'audit outbox relay: row moved to vigil_audit_outbox_dead',
    );
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.listenEnabled && this.listener === undefined) await this.listen();
      let published = 0;
      try {
        published = await this.runOnce();
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.logger.error(
          { err: (err as Error).message, failures: this.failures },
          'audit outbox relay: batch not published, rows kept for retry',
        );
      }
      if (this.stopping) break;
      if (published > 0) continue;
      const backoff = Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** Math.min(this.failures, 16));
      await this.sleep(this.failures > 0 ? backoff : this.pollIntervalMs);
    }
    await this.unlisten();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async listen(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      // connect() resolves with the driver's connection: for PostgreSQL, a pg client held until release().
      const client = (await runner.connect()) as NotificationSource;
      client.on('notification', () => {
        // While failing, the backoff wins: a burst of commits must not turn into a burst of retries.
        if (this.failures === 0) this.wake?.();
      });
      client.on('error', () => void this.unlisten());
      await runner.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = runner;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'audit outbox relay: LISTEN failed, polling only until it works');
      await runner.release().catch(() => undefined);
    }
  }

  private async unlisten(): Promise<void> {
    const runner = this.listener;
    this.listener = undefined;
    if (runner === undefined) return;
    await runner.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }
}
