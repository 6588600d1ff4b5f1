import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import { AuditPublisher, connectionOf } from '@vigil/audit-sdk';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { parseSigningKeys } from '@vigil/integrity';
import { ChainCheckpointer } from '@vigil/operations';
import { PG_POOL } from '@vigil/store';
import type { MaterializerConfig } from './materializer.config';

/** How often the materializer looks for chains due a checkpoint (each is signed at most once per interval). */
const CHECK_EVERY_MS = 3_600_000;

/**
 * Signs the chains' heads (docs/integrity.md) once per VIGIL_CHECKPOINT_INTERVAL_HOURS, looking hourly and at start;
 * each checkpoint is published as an event of its tenant. Without VIGIL_CHAIN_SIGNING_KEYS it says so and signs nothing.
 */
@Injectable()
export class ChainCheckpointScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private publisher: AuditPublisher | undefined;
  private checkpointer: ChainCheckpointer | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: MaterializerConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(ChainCheckpointScheduler.name);
  }

  onApplicationBootstrap(): void {
    const [key] = parseSigningKeys(this.config.VIGIL_CHAIN_SIGNING_KEYS ?? '');
    if (key === undefined) {
      this.logger.warn('VIGIL_CHAIN_SIGNING_KEYS is not set: the hash chain is kept, but no checkpoint is signed');
      return;
    }
    this.publisher = new AuditPublisher({
      ...connectionOf(this.config, 'vigil-materializer-checkpoints'),
      service: { name: 'vigil-materializer' },
      logger: this.logger.logger,
    });
    this.checkpointer = new ChainCheckpointer(this.pool, key, this.publisher, this.clock, this.logger.logger);
    this.timer = setInterval(() => void this.runOnce(), Math.min(CHECK_EVERY_MS, this.intervalMs()));
    this.timer.unref();
    void this.runOnce();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.publisher?.close();
  }

  private intervalMs(): number {
    return this.config.VIGIL_CHECKPOINT_INTERVAL_HOURS * 3_600_000;
  }

  private runOnce(): Promise<void> {
    const checkpointer = this.checkpointer;
    if (checkpointer === undefined) return Promise.resolve();
    this.running ??= checkpointer
      .run({ everyMs: this.intervalMs() })
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'chain checkpoints failed; retried at the next look'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
