import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { FOLD_ROLLUPS_SQL } from './audit-event-rollup.util';

/** How often the materializer folds the pending rollup counts into the rollups. */
export const ROLLUP_FOLD_INTERVAL_MS = 1_000;
/** Pending rows moved per transaction: a backlog (after a rebuild, an outage of the fold) goes in bounded steps. */
export const ROLLUP_FOLD_CHUNK = 50_000;
/** Taken with pg_try_advisory_xact_lock per schema: one instance folds at a time, the others find it taken. */
const FOLD_LOCK_KEY = '.audit_event.rollup-fold';
/** How long a fold waits for the tables' locks before it gives up until the next tick. */
export const FOLD_LOCK_TIMEOUT_MS = 5_000;
/** PostgreSQL's lock_not_available: the lock timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/** What one `fold` did. */
export interface FoldResult {
  /** Pending rows moved into the rollups. */
  folded: number;
  /** Another session was folding the same schema, or held its tables past the lock timeout: this fold stopped there. */
  busy: boolean;
}

/**
 * Moves the counts the materializer appends to `audit_event_rollup_pending` with each batch into `audit_event_hourly`
 * and `audit_event_daily` (docs/store.md, "Rollups"): `ROLLUP_FOLD_CHUNK` rows per transaction until none is left,
 * each transaction deleting what it adds. One instance per schema at a time. Holds no connection between calls.
 */
export class RollupFolder {
  constructor(
    private readonly pool: Pool,
    private readonly chunk = ROLLUP_FOLD_CHUNK,
    private readonly lockTimeoutMs = FOLD_LOCK_TIMEOUT_MS,
  ) {}

  /**
   * Folds until nothing is pending, or `stop()` answers true between two chunks. A fold that waits longer than
   * `lockTimeoutMs` for a table (a rebuild's switch-over holds them while it catches up) gives up and answers `busy`,
   * like one that finds another session folding.
   */
  async fold(stop: () => boolean = () => false): Promise<FoldResult> {
    const client = await this.pool.connect();
    let folded = 0;
    let broken: Error | undefined;
    try {
      for (;;) {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL lock_timeout = ${Math.trunc(this.lockTimeoutMs)}`);
          const { rows: lock } = await client.query<{ got: boolean }>(
            'SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || $1)) AS got',
            [FOLD_LOCK_KEY],
          );
          if (lock[0]?.got !== true) {
            await client.query('ROLLBACK');
            return { folded, busy: true };
          }
          const { rows } = await client.query<{ folded: number }>(FOLD_ROLLUPS_SQL, [this.chunk]);
          await client.query('COMMIT');
          const moved = rows[0]?.folded ?? 0;
          folded += moved;
          if (moved < this.chunk || stop()) return { folded, busy: false };
        } catch (err) {
          await client.query('ROLLBACK').catch((rollback: unknown) => {
            broken = rollback as Error;
          });
          if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return { folded, busy: true };
          broken ??= err as Error;
          throw err;
        }
      }
    } finally {
      // A connection whose statement failed is not handed back to the pool as it is.
      client.release(broken);
    }
  }
}

/**
 * Runs the fold every second in the materializer. A fold that fails is logged and tried again at the next tick: the
 * counts stay pending, and top-N still reads them. Shutdown stops a fold in progress after its current chunk and
 * starts none: what is pending then is folded after the next start, and read meanwhile.
 */
export class RollupFoldScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private folding: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly folder: Pick<RollupFolder, 'fold'>,
    private readonly logger: Pick<Logger, 'error' | 'debug'>,
    private readonly intervalMs = ROLLUP_FOLD_INTERVAL_MS,
    /** Told each fold's result, or its error (the materializer's metrics). */
    private readonly observe: (outcome: FoldResult | { error: unknown }) => void = () => undefined,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Folds every interval from now on (`vigil rebuild` runs one on its staging schema while it loads). */
  start(): void {
    this.closing = false;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** No further fold; resolves once a fold in progress has ended (after its current chunk). */
  async stop(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.folding;
  }

  /** One fold; a call while one runs joins it, and none starts once shutdown began. Never rejects. */
  runOnce(): Promise<void> {
    if (this.closing) return this.folding ?? Promise.resolve();
    this.folding ??= this.folder
      .fold(() => this.closing)
      .then((result) => {
        this.observe(result);
        this.logger.debug(result, 'rollup counts folded');
      })
      .catch((err: unknown) => {
        this.observe({ error: err });
        this.logger.error({ err }, 'rollup fold failed; the counts stay pending');
      })
      .finally(() => {
        this.folding = undefined;
      });
    return this.folding;
  }
}
