import pino, { type Logger } from 'pino';
import type { DataSource, QueryRunner } from 'typeorm';
import { AuditOutboxRepository, OUTBOX_CHANNEL } from './audit-outbox.repository';
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
  logger?: Logger;
}

/** The pg client behind a TypeORM query runner, as far as notifications go. */
interface NotificationSource {
  on(event: 'notification' | 'error', listener: () => void): void;
}

interface BatchResult {
  published: number;
  error?: Error;
}

/**
 * Publishes the outbox to Kafka in insertion order. Each batch is one transaction that takes the
 * table's advisory lock (only one relay publishes at a time, which keeps each tenant's order across
 * instances), publishes, and deletes the rows. A crash between Kafka's ack and the commit publishes
 * the same event ids again, which consumers deduplicate; nothing is lost.
 */
export class OutboxRelay {
  private readonly outbox: AuditOutboxRepository;
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

  /** Publishes one batch in one transaction; 0 when the outbox is empty or another relay holds the lock. */
  async runOnce(): Promise<number> {
    const result = await this.dataSource.transaction(async (manager): Promise<BatchResult> => {
      if (!(await this.outbox.tryLock(manager))) return { published: 0 };
      const rows = await this.outbox.claim(manager, this.batchSize);
      if (rows.length === 0) return { published: 0 };
      const ids = rows.map((row) => row.id);
      try {
        // Stored events are complete: published exactly as recorded, observedTime included.
        await this.publisher.publishComplete(rows.map((row) => row.event));
      } catch (err) {
        // Commit the attempt count and the reason; the rows stay for the next attempt.
        await this.outbox.markFailed(manager, ids, (err as Error).message);
        return { published: 0, error: err instanceof Error ? err : new Error(String(err)) };
      }
      await this.outbox.remove(manager, ids);
      return { published: rows.length };
    });
    if (result.error !== undefined) throw result.error;
    return result.published;
  }

  /** Publishes until the outbox is empty (or another relay holds the lock); returns the events published. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.runOnce(); n > 0; n = await this.runOnce()) total += n;
    return total;
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
