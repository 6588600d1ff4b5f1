import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { BatchConsumer, type KafkaClient, type PartitionBatch } from '@vigil/kafka';
import { CONNECTOR_CONTROL_TOPIC, parseControlCommand } from './connector-ops.types';
import type { ConnectorStatusService } from './connector-status.service';

const RETRY_MS = 10_000;

/**
 * Applies `vigil connectors pause|resume` to this app's connectors without a restart. Every instance must see every
 * command, so each process reads the compacted control topic from the beginning with a group of its own (never
 * committed, so Kafka forgets it when the process leaves); the latest command per connector is its desired state,
 * which therefore also holds after a restart.
 */
export class ConnectorControlConsumer {
  private consumer: BatchConsumer | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly status: ConnectorStatusService,
    private readonly onApplied: () => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = new BatchConsumer(
      this.kafka,
      {
        groupId: `vigil-connector-control-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
        topics: [CONNECTOR_CONTROL_TOPIC],
        fromBeginning: true,
        partitionsConsumedConcurrently: 1,
        commit: false,
      },
      (batch) => this.applyAll(batch),
      this.logger,
    );
    try {
      await consumer.start();
      this.consumer = consumer;
    } catch (err) {
      await consumer.stop().catch(() => undefined);
      this.logger.warn(
        { err: (err as Error).message, topic: CONNECTOR_CONTROL_TOPIC, retryInMs: RETRY_MS },
        'pause/resume unavailable until the control topic can be read (run `vigil topics apply`?)',
      );
      if (!this.stopped) this.retry = setTimeout(() => void this.start(), RETRY_MS).unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.consumer?.stop().catch(() => undefined);
    this.consumer = undefined;
  }

  private applyAll(batch: PartitionBatch): Promise<void> {
    for (const message of batch.messages) this.apply(message.key?.toString(), message.value);
    return Promise.resolve();
  }

  private apply(name: string | undefined, value: Buffer | null): void {
    const command = parseControlCommand(value);
    const control = name === undefined ? undefined : this.status.control(name);
    if (command === undefined || control === undefined) return;
    const state = this.status.get(name ?? '')?.state;
    if (command.action === 'pause' && state !== 'paused') control.pause();
    else if (command.action === 'resume' && state === 'paused') control.resume();
    else return;
    this.logger.info({ connector: name, action: command.action, requestedAt: command.requestedAt }, 'operator command applied');
    this.onApplied();
  }
}
