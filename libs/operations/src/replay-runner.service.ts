import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import { ConnectorRunner, ConnectorStatusService, RateLimitedSink, type ConnectorDefinition, type ConnectorState } from '@vigil/connector';
import { EventCodec } from '@vigil/events';
import { ConsumerGroups, DeadLetterProducer, KAFKA, KafkaAdminService, type KafkaClient, type OffsetMap } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { createSink } from '@vigil/sinks';
import { untilAborted } from './interruption.util';
import { OPERATIONS_LOGGER, OPERATIONS_OPTIONS, type OperationObserver, type OperationsOptions } from './operations.types';
import type { ReplayPlan } from './replay-plan.util';

export interface ReplayRun {
  definition: ConnectorDefinition;
  plan: ReplayPlan;
  /** Where each partition resumes (the replay group's committed offsets, else the plan's start). */
  position: OffsetMap;
  fromTimeMicros: number;
  rate: number | undefined;
  label: string;
  /** Said when the run is interrupted. */
  interruptedMessage: string;
}

export interface ReplayResult {
  /** Messages of the range read (sent, filtered out or dead-lettered). */
  read: number;
  sent: number;
  deadLettered: number;
}

/** Messages left per "topic:partition" (exclusive end offsets) and their total. */
function remainingOf(plan: ReplayPlan, position: OffsetMap): { remaining: Map<string, bigint>; total: number } {
  const remaining = new Map<string, bigint>();
  let total = 0;
  for (const [topic, ends] of plan.end) {
    for (const [partition, end] of ends) {
      const at = BigInt(position.get(topic)?.get(partition) ?? end);
      if (at < BigInt(end)) remaining.set(`${topic}:${partition}`, BigInt(end));
      total += Math.max(0, Number(BigInt(end) - at));
    }
  }
  return { remaining, total };
}

/**
 * Sends a fixed range through the connector's own runner (decode, filters, mapping, batching, retries, dead letters)
 * with the group `vigil-replay-<name>`: every settled partition batch is committed, so an interrupted run resumes.
 */
@Injectable()
export class ReplayRunner {
  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdminService,
    private readonly codec: EventCodec,
    private readonly clock: Clock,
    @Inject(OPERATIONS_LOGGER) private readonly logger: Logger,
    @Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions,
  ) {}

  async run(replay: ReplayRun, observer: OperationObserver, signal: AbortSignal): Promise<ReplayResult> {
    const { definition, plan, position } = replay;
    const groupId = ConsumerGroups.replay(definition.name);
    const { remaining, total } = remainingOf(plan, position);
    if (remaining.size === 0) return { read: 0, sent: 0, deadLettered: 0 };
    await this.admin.commitGroupOffsets(groupId, position);

    const status = new ConnectorStatusService(new MetricsService(), this.clock);
    const deadLetters = new DeadLetterProducer(this.kafka, groupId, undefined, this.clock);
    const base = createSink(definition, this.logger);
    const sink = replay.rate === undefined ? base : new RateLimitedSink(base, replay.rate);
    observer.begin?.(replay.label, total);
    let read = 0;
    const runner = new ConnectorRunner(definition, {
      kafka: this.kafka,
      codec: this.codec,
      sink,
      encodeThreads: this.options.encodeThreads ?? 0,
      registry: this.options.registry,
      deadLetters,
      status,
      logger: this.logger,
      clock: this.clock,
      range: {
        groupId,
        until: plan.end,
        fromTimeMicros: replay.fromTimeMicros,
        sessionTimeoutMs: 10_000,
        onBatch: ({ inRange }) => {
          read += inRange;
          observer.advance?.(inRange);
        },
      },
    });
    const watcher = this.watchState(status, definition.name, observer);
    try {
      await untilAborted(signal, runner.start(), replay.interruptedMessage);
      // Done once every partition is committed up to its end (a resumed run starts from those commits).
      await untilAborted(signal, runner.finished, replay.interruptedMessage);
    } finally {
      clearInterval(watcher);
      await runner.stop();
      await deadLetters.close();
      observer.end?.();
    }
    const final = status.get(definition.name);
    return { read, sent: final?.eventsSent ?? 0, deadLettered: final?.deadLettered ?? 0 };
  }

  /** Says when the SIEM makes the replay wait (backing off, refusing credentials) and when it recovers. */
  private watchState(status: ConnectorStatusService, name: string, observer: OperationObserver): NodeJS.Timeout {
    let last: ConnectorState = 'running';
    return setInterval(() => {
      const s = status.get(name);
      if (s === undefined || s.state === last) return;
      last = s.state;
      observer.notice?.(
        'info',
        s.state === 'running'
          ? `\n${name}: the SIEM accepts events again`
          : `\n${name}: ${s.state}: ${s.reason ?? ''} (nothing is skipped; retrying)`,
      );
    }, 1000);
  }
}
