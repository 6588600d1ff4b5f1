import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PartitionManager } from './partition.manager';

export const PARTITION_MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * Runs partition maintenance at start-up and hourly, then builds the free-text index of each day that has ended
 * (`PartitionManager.indexEndedDays`). Start-up waits for the partitions, not for the index builds, which on a store
 * upgraded from one index on the parent can take minutes. A failed run is logged and retried at the next tick.
 */
export class PartitionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: { partitions: Promise<void>; all: Promise<void> } | undefined;

  constructor(
    private readonly manager: PartitionManager,
    private readonly logger: Pick<Logger, 'error'>,
    private readonly intervalMs = PARTITION_MAINTENANCE_INTERVAL_MS,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start().partitions;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // An index build in progress is cancelled (it is built again at the next start), not waited for.
    await this.manager.stopIndexing();
    await this.running?.all;
  }

  /** One maintenance run, index builds included; a call while another runs joins it rather than starting a second. */
  runOnce(): Promise<void> {
    return this.start().all;
  }

  private start(): { partitions: Promise<void>; all: Promise<void> } {
    if (this.running) return this.running;
    const partitions = this.manager.maintain().then(
      () => true,
      (err: unknown) => {
        this.logger.error({ err }, 'audit_event partition maintenance failed');
        return false;
      },
    );
    const all = partitions
      .then((ok) => (ok ? this.manager.indexEndedDays() : undefined))
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error({ err }, 'free-text index maintenance failed'))
      .finally(() => {
        this.running = undefined;
      });
    this.running = { partitions: partitions.then(() => undefined), all };
    return this.running;
  }
}
