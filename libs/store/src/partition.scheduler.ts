import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PartitionManager } from './partition.manager';

export const PARTITION_MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * Runs partition maintenance at start-up and hourly, and after each run builds the free-text index of the days that
 * have ended (`PartitionManager.indexEndedDays`). The two run apart: start-up waits for the partitions, not for the
 * index builds, which on a store upgraded from one index on the parent can take minutes, and an hourly maintenance
 * runs even while a build from an earlier hour still does. A failed run is logged and retried at the next tick.
 */
export class PartitionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private maintaining: Promise<boolean> | undefined;
  private indexing: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly manager: PartitionManager,
    private readonly logger: Pick<Logger, 'error'>,
    private readonly intervalMs = PARTITION_MAINTENANCE_INTERVAL_MS,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const maintained = this.maintain();
    void this.indexAfter(maintained);
    await maintained;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    // An index build in progress is cancelled (it is built again at the next start), not waited for.
    await this.manager.stopIndexing();
    await Promise.all([this.maintaining, this.indexing]);
  }

  /**
   * One maintenance run and then one indexing run. A call while either runs joins it rather than starting a second;
   * resolves when both are done.
   */
  async runOnce(): Promise<void> {
    await this.indexAfter(this.maintain());
  }

  private maintain(): Promise<boolean> {
    this.maintaining ??= this.manager
      .maintain()
      .then(
        () => true,
        (err: unknown) => {
          this.logger.error({ err }, 'audit_event partition maintenance failed');
          return false;
        },
      )
      .finally(() => {
        this.maintaining = undefined;
      });
    return this.maintaining;
  }

  /** Indexing after a maintenance that succeeded (the days it created are the ones to index), unless one runs. */
  private async indexAfter(maintained: Promise<boolean>): Promise<void> {
    if (!(await maintained) || this.closing) return;
    this.indexing ??= this.manager
      .indexEndedDays()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error({ err }, 'free-text index maintenance failed'))
      .finally(() => {
        this.indexing = undefined;
      });
    await this.indexing;
  }
}
