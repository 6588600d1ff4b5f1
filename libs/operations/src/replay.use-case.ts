import { Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import type { ConnectorDefinition } from '@vigil/connector';
import { topicFor } from '@vigil/events';
import { ConsumerGroups, KafkaAdminService, reached, type OffsetMap } from '@vigil/kafka';
import { ConnectorCatalog } from './connector-catalog.service';
import { throwIfAborted } from './interruption.util';
import { OperationsErrorCode, OperationsException } from './operations.exception';
import type { OperationObserver } from './operations.types';
import { ReplayCheckpointRepository, type ReplayCheckpoint } from './replay-checkpoint.repository';
import {
  describeArgs,
  parseLookback,
  parseRate,
  parseTime,
  partitionRanges,
  replayCategories,
  replayPosition,
  sameArgs,
  type PartitionRange,
  type ReplayArgs,
} from './replay-plan.util';
import { ReplayPlanner } from './replay-planner.service';
import { ReplayRunner, type ReplayResult } from './replay-runner.service';

export interface ReplayRequest {
  connector: string;
  /** ISO-8601 times as the operator gave them. */
  from: string;
  to?: string | undefined;
  /** Comma-separated subset of the connector's categories. */
  categories?: string | undefined;
  /** Events per second. */
  rate?: string | undefined;
  /** How far before `from` to start reading Kafka (`30m`, `2h`, `1d`); a day and five minutes by default. */
  lookback?: string | undefined;
  /** Send what is retained when `from` is older than the data Kafka still holds. */
  allowPartial?: boolean | undefined;
  /** Discard an unfinished replay to this connector and start over. */
  restart?: boolean | undefined;
}

/** What a replay would send, per partition, and whether the connector's group would be handed over. */
export interface ReplayPreview extends ReplayArgs {
  resuming: boolean;
  handOver: boolean;
  total: number;
  partitions: PartitionRange[];
}

export interface ReplaySummary extends ReplayArgs, ReplayResult {
  resumed: boolean;
  /** What happened to the connector's live group, in a sentence. */
  handOver: string;
}

const INTERRUPTED = 'interrupted; the checkpoint is kept: run the same command again to resume (or add --restart to start over)';

interface Prepared {
  definition: ConnectorDefinition;
  args: ReplayArgs;
  checkpoint: ReplayCheckpoint;
  resuming: boolean;
  position: OffsetMap;
}

/** Replay of a time range to a connector: plan, dry run, run with checkpoint and resume, and hand-over to the live group. */
@Injectable()
export class ReplayUseCase {
  constructor(
    private readonly catalog: ConnectorCatalog,
    private readonly admin: KafkaAdminService,
    private readonly planner: ReplayPlanner,
    private readonly checkpoints: ReplayCheckpointRepository,
    private readonly runner: ReplayRunner,
    private readonly clock: Clock,
  ) {}

  /** The ranges a run would send now (resuming an unfinished replay if there is one); sends and saves nothing. */
  async preview(request: ReplayRequest, observer: OperationObserver = {}): Promise<ReplayPreview> {
    const { args, checkpoint, resuming, position } = await this.prepare(request, false, observer);
    const partitions = partitionRanges(checkpoint.plan, position);
    const total = partitions.reduce((sum, r) => sum + r.messages, 0);
    return { ...args, resuming, handOver: checkpoint.handOver, total, partitions };
  }

  async run(request: ReplayRequest, observer: OperationObserver, signal: AbortSignal): Promise<ReplaySummary> {
    const { definition, args, checkpoint, resuming, position } = await this.prepare(request, request.restart === true, observer);
    const rate = parseRate(request.rate);
    throwIfAborted(signal, INTERRUPTED);
    if (!resuming) await this.checkpoints.save(checkpoint);
    observer.notice?.('info', `${resuming ? 'resuming the' : 'starting a'} replay to ${definition.name} (${describeArgs(args)})`);
    const result = await this.runner.run(
      {
        definition: { ...definition, categories: args.categories },
        plan: checkpoint.plan,
        position,
        fromTimeMicros: new Date(args.from).getTime() * 1000,
        rate,
        label: `replay ${definition.name}`,
        interruptedMessage: INTERRUPTED,
      },
      observer,
      signal,
    );
    if (!reached(await this.position(checkpoint), checkpoint.plan.end))
      throw new OperationsException(
        OperationsErrorCode.REPLAY_INCOMPLETE,
        'the replay stopped before the end of its range; run the same command again to resume it',
      );
    const handedOver = await this.handOver(definition, checkpoint);
    await this.checkpoints.remove(definition.name);
    await this.admin.deleteGroup(ConsumerGroups.replay(definition.name));
    return { ...args, resumed: resuming, ...result, handOver: handedOver };
  }

  private async prepare(request: ReplayRequest, discard: boolean, observer: OperationObserver): Promise<Prepared> {
    const definition = this.catalog.load(request.connector);
    const from = parseTime(request.from, '--from');
    const to = request.to === undefined ? null : parseTime(request.to, '--to');
    if (to !== null && to <= from) throw new OperationsException(OperationsErrorCode.INVALID_ARGUMENT, '--to must be after --from');
    parseRate(request.rate);
    const lookbackMs = parseLookback(request.lookback);
    const args: ReplayArgs = {
      connector: definition.name,
      from: from.toISOString(),
      to: to?.toISOString() ?? null,
      categories: replayCategories(definition, request.categories),
    };
    let checkpoint = await this.checkpoints.find(definition.name);
    if (checkpoint !== undefined && discard) {
      await this.admin.deleteGroup(ConsumerGroups.replay(definition.name));
      await this.checkpoints.remove(definition.name);
      checkpoint = undefined;
    }
    if (checkpoint !== undefined && !sameArgs(checkpoint.args, args))
      throw new OperationsException(
        OperationsErrorCode.REPLAY_CONFLICT,
        `an unfinished replay to ${definition.name} has other arguments (${describeArgs(checkpoint.args)}); run it again with those to resume it, or add --restart to discard it`,
      );
    const resuming = checkpoint !== undefined;
    if (resuming && request.lookback !== undefined)
      observer.notice?.('warning', 'warning: --lookback applies when a replay starts; the one being resumed keeps the range it planned');
    checkpoint ??= await this.newCheckpoint(definition, args, lookbackMs, request.allowPartial === true, observer);
    return { definition, args, checkpoint, resuming, position: await this.position(checkpoint) };
  }

  private async newCheckpoint(
    definition: ConnectorDefinition,
    args: ReplayArgs,
    lookbackMs: number,
    allowPartial: boolean,
    observer: OperationObserver,
  ): Promise<ReplayCheckpoint> {
    const from = new Date(args.from);
    const plan = await this.planner.plan(args.categories, from, args.to === null ? null : new Date(args.to), lookbackMs);
    const gaps = await this.planner.retentionGaps(plan, from);
    if (gaps.length > 0) {
      const lines = gaps.map((g) => `  ${g.topic}: data goes back to ${g.earliestAvailable}`).join('\n');
      if (!allowPartial)
        throw new OperationsException(
          OperationsErrorCode.RETENTION_GAP,
          `--from ${args.from} is older than the data Kafka still holds:\n${lines}\nrun again with a later --from, or add --allow-partial to send what is left`,
        );
      observer.notice?.('warning', `warning: sending only what is retained:\n${lines}`);
    }
    const handOver = await this.admin.neverCommitted(ConsumerGroups.connector(definition.name), definition.categories.map(topicFor));
    return { version: 1, args, plan, handOver, createdAt: this.clock.now().toISOString() };
  }

  /** Where the replay stands: the replay group's committed offsets, else the plan's start offsets. */
  private async position(checkpoint: ReplayCheckpoint): Promise<OffsetMap> {
    const committed = await this.admin.committedOffsets(ConsumerGroups.replay(checkpoint.args.connector), checkpoint.plan.topics);
    return replayPosition(checkpoint.plan, committed);
  }

  /** A new connector (nothing committed yet) gets the replay's end offsets, so its live consumer starts where the replay ended. */
  private async handOver(definition: ConnectorDefinition, checkpoint: ReplayCheckpoint): Promise<string> {
    if (!checkpoint.handOver)
      return `not handed over: ${definition.name} already had committed offsets (a re-send); its group is untouched`;
    const group = ConsumerGroups.connector(definition.name);
    const fresh = await this.admin.neverCommitted(group, definition.categories.map(topicFor));
    if (!fresh || !(await this.admin.groupIsIdle(group)))
      return `not handed over: ${definition.name} started consuming during the replay; events between the replay's end and its offsets may be sent twice (deduplicate by event id)`;
    // The connector's topics the replay did not cover get their startFrom positions now: with every partition
    // committed, the live consumer treats this as its first start already done (docs/connectors.md).
    const offsets = await this.admin.startPositions(definition.categories.map(topicFor), definition.startFrom);
    for (const [topic, ends] of checkpoint.plan.end) offsets.set(topic, new Map(ends));
    await this.admin.commitGroupOffsets(group, offsets);
    return `handed over: ${group} starts at the replay's end offsets, so the live stream continues with no gap and no overlap`;
  }
}
