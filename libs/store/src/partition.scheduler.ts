import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PartitionManager } from './partition.manager';

export const PARTITION_MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Runs partition maintenance at start-up and hourly. A failed run is logged and retried at the next tick. */
export class PartitionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly manager: PartitionManager,
    private readonly logger: Pick<Logger, 'error'>,
    private readonly intervalMs = PARTITION_MAINTENANCE_INTERVAL_MS,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One maintenance run; a call while another runs joins it rather than starting a second. */
  runOnce(): Promise<void> {
    this.running ??= this.manager
      .maintain()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error({ err }, 'audit_event partition maintenance failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
