import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import {
  commitGroupOffsets,
  ConnectorRunner,
  ConnectorStatusService,
  RateLimitedSink,
  type ConnectorDefinition,
  type ConnectorState,
  type OffsetMap,
} from '@vigil/connector';
import type { EventCodec } from '@vigil/events';
import { DeadLetterProducer } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { createSink } from '@vigil/sinks';
import type { Output } from './cli.util';
import { Progress } from './progress.util';
import type { ReplayPlan } from './replay-plan.util';

export interface ReplayRun {
  definition: ConnectorDefinition;
  plan: ReplayPlan;
  /** Where each partition resumes (the replay group's committed offsets, else the plan's start). */
  position: OffsetMap;
  fromTimeMicros: number;
  rate: number | undefined;
  label: string;
}

export interface ReplayResult {
  /** Messages of the range read (sent, filtered out or dead-lettered). */
  read: number;
  sent: number;
  deadLettered: number;
}

/** The consumer group whose committed offsets are a replay's checkpoint. */
export const replayGroupId = (connector: string): string => `vigil-replay-${connector}`;

/**
 * Sends a fixed range through the connector's own runner (decode, filters, mapping, batching, retries, dead letters)
 * with the group `vigil-replay-<name>`: every settled partition batch is committed, so an interrupted run resumes.
 */
export class ReplayRunner {
  constructor(
    private readonly kafka: Kafka,
    private readonly codec: EventCodec,
    private readonly logger: Logger,
    private readonly out: Output,
  ) {}

  async run(replay: ReplayRun, interrupted: Promise<never>): Promise<ReplayResult> {
    const { definition, plan, position } = replay;
    const groupId = replayGroupId(definition.name);
    const remaining = new Map<string, bigint>();
    let total = 0;
    for (const [topic, ends] of plan.end) {
      for (const [partition, end] of ends) {
        const at = BigInt(position.get(topic)?.get(partition) ?? end);
        if (at < BigInt(end)) remaining.set(`${topic}:${partition}`, BigInt(end));
        total += Math.max(0, Number(BigInt(end) - at));
      }
    }
    if (remaining.size === 0) return { read: 0, sent: 0, deadLettered: 0 };
    await commitGroupOffsets(this.kafka, groupId, position);

    const status = new ConnectorStatusService(new MetricsService());
    const deadLetters = new DeadLetterProducer(this.kafka, groupId);
    const base = createSink(definition, this.logger);
    const sink = replay.rate === undefined ? base : new RateLimitedSink(base, replay.rate);
    const progress = new Progress(replay.label, total, this.out);
    let read = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const runner = new ConnectorRunner(definition, {
      kafka: this.kafka,
      codec: this.codec,
      sink,
      deadLetters,
      status,
      logger: this.logger,
      range: {
        groupId,
        until: plan.end,
        fromTimeMicros: replay.fromTimeMicros,
        sessionTimeoutMs: 10_000,
        onBatch: ({ topic, partition, inRange, nextOffset }) => {
          read += inRange;
          progress.increment(inRange);
          const end = remaining.get(`${topic}:${partition}`);
          if (end !== undefined && nextOffset >= end && remaining.delete(`${topic}:${partition}`) && remaining.size === 0) finish();
        },
      },
    });
    const watcher = this.watchState(status, definition.name);
    try {
      await Promise.race([runner.start(), interrupted]);
      await Promise.race([finished, interrupted]);
    } finally {
      clearInterval(watcher);
      await runner.stop();
      await deadLetters.close();
      progress.stop();
    }
    const final = status.get(definition.name);
    return { read, sent: final?.eventsSent ?? 0, deadLettered: final?.deadLettered ?? 0 };
  }

  /** Says on stderr when the SIEM makes the replay wait (backing off, refusing credentials) and when it recovers. */
  private watchState(status: ConnectorStatusService, name: string): NodeJS.Timeout {
    let last: ConnectorState = 'running';
    return setInterval(() => {
      const s = status.get(name);
      if (s === undefined || s.state === last) return;
      last = s.state;
      if (!this.out.json)
        process.stderr.write(
          s.state === 'running'
            ? `\n${name}: the SIEM accepts events again\n`
            : `\n${name}: ${s.state}: ${s.reason ?? ''} (nothing is skipped; retrying)\n`,
        );
    }, 1000);
  }
}
