import { Command } from 'commander';
import type { Admin, Kafka } from 'kafkajs';
import { committedOffsets, commitGroupOffsets, groupIsIdle, type ConnectorDefinition, type OffsetMap } from '@vigil/connector';
import { EventCodec, topicFor } from '@vigil/events';
import { createLogger } from '@vigil/observability';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { loadConnector } from './connector-definitions.loader';
import { Interruption } from './interruption.util';
import { cliKafka, cliRegistry, withKafkaAdmin } from './kafka-admin.factory';
import { ReplayCheckpointRepository, type ReplayCheckpoint } from './replay-checkpoint.repository';
import { parseTime, partitionRanges, planReplay, replayCategories, retentionGaps, type ReplayArgs } from './replay-plan.util';
import { replayGroupId, ReplayRunner } from './replay.runner';

interface ReplayOptions {
  connector: string;
  from: string;
  to?: string;
  categories?: string;
  rate?: string;
  dryRun?: boolean;
  allowPartial?: boolean;
  restart?: boolean;
}

const connectorGroup = (name: string): string => `vigil-connector-${name}`;

function sameArgs(a: ReplayArgs, b: ReplayArgs): boolean {
  return a.from === b.from && a.to === b.to && [...a.categories].sort().join() === [...b.categories].sort().join();
}

function describeArgs(a: ReplayArgs): string {
  return `--from ${a.from}${a.to === null ? '' : ` --to ${a.to}`} --categories ${a.categories.join(',')}`;
}

function parseRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0) throw new CliError(`--rate must be a positive number of events per second, not "${value}"`, 2);
  return rate;
}

/** Where the replay stands: the replay group's committed offsets, else the plan's start offsets. */
async function positionOf(admin: Admin, checkpoint: ReplayCheckpoint): Promise<OffsetMap> {
  const committed = await committedOffsets(admin, replayGroupId(checkpoint.args.connector), checkpoint.plan.topics);
  const position: OffsetMap = new Map();
  for (const [topic, starts] of checkpoint.plan.start) {
    position.set(topic, new Map([...starts].map(([p, start]) => [p, committed.get(topic)?.get(p) ?? start])));
  }
  return position;
}

function isComplete(checkpoint: ReplayCheckpoint, position: OffsetMap): boolean {
  return [...checkpoint.plan.end].every(([topic, ends]) =>
    [...ends].every(([p, end]) => BigInt(position.get(topic)?.get(p) ?? '0') >= BigInt(end)),
  );
}

/** A new connector (nothing committed yet) gets the replay's end offsets, so its live consumer starts where the replay ended. */
async function handOver(kafka: Kafka, admin: Admin, definition: ConnectorDefinition, checkpoint: ReplayCheckpoint): Promise<string> {
  if (!checkpoint.handOver) return `not handed over: ${definition.name} already had committed offsets (a re-send); its group is untouched`;
  const group = connectorGroup(definition.name);
  const committed = await committedOffsets(admin, group, definition.categories.map(topicFor));
  const started = [...committed.values()].some((partitions) => partitions.size > 0);
  if (started || !(await groupIsIdle(admin, group)))
    return `not handed over: ${definition.name} started consuming during the replay; events between the replay's end and its offsets may be sent twice (deduplicate by event id)`;
  await commitGroupOffsets(kafka, group, checkpoint.plan.end);
  return `handed over: ${group} starts at the replay's end offsets, so the live stream continues with no gap and no overlap`;
}

async function newCheckpoint(
  admin: Admin,
  definition: ConnectorDefinition,
  args: ReplayArgs,
  options: ReplayOptions,
): Promise<ReplayCheckpoint> {
  const from = new Date(args.from);
  const plan = await planReplay(admin, args.categories, from, args.to === null ? null : new Date(args.to));
  const gaps = await retentionGaps(admin, plan, from);
  if (gaps.length > 0) {
    const lines = gaps.map((g) => `  ${g.topic}: data goes back to ${g.earliestAvailable}`).join('\n');
    if (options.allowPartial !== true)
      throw new CliError(
        `--from ${args.from} is older than the data Kafka still holds:\n${lines}\nrun again with a later --from, or add --allow-partial to send what is left`,
        3,
      );
    process.stderr.write(`warning: sending only what is retained:\n${lines}\n`);
  }
  const committed = await committedOffsets(admin, connectorGroup(definition.name), definition.categories.map(topicFor));
  const handOver = [...committed.values()].every((partitions) => partitions.size === 0);
  return { version: 1, args, plan, handOver, createdAt: new Date().toISOString() };
}

async function replay(config: CliConfig, options: ReplayOptions, out: Output): Promise<void> {
  const definition = loadConnector(config, options.connector);
  const from = parseTime(options.from, '--from');
  const to = options.to === undefined ? null : parseTime(options.to, '--to');
  if (to !== null && to <= from) throw new CliError('--to must be after --from', 2);
  const rate = parseRate(options.rate);
  const args: ReplayArgs = {
    connector: definition.name,
    from: from.toISOString(),
    to: to?.toISOString() ?? null,
    categories: replayCategories(definition, options.categories),
  };
  const interruption = new Interruption(
    `interrupted; the checkpoint is kept: run the same command again to resume (or add --restart to start over)`,
  );
  const kafka = cliKafka(config);
  await withKafkaAdmin(config, async (admin) => {
    const checkpoints = new ReplayCheckpointRepository(kafka, admin);
    let checkpoint = await checkpoints.find(definition.name);
    if (checkpoint !== undefined && options.restart === true && options.dryRun !== true) {
      await admin.deleteGroups([replayGroupId(definition.name)]).catch(() => undefined);
      await checkpoints.remove(definition.name);
      checkpoint = undefined;
    }
    if (checkpoint !== undefined && !sameArgs(checkpoint.args, args))
      throw new CliError(
        `an unfinished replay to ${definition.name} has other arguments (${describeArgs(checkpoint.args)}); run it again with those to resume it, or add --restart to discard it`,
      );
    const resuming = checkpoint !== undefined;
    checkpoint ??= await newCheckpoint(admin, definition, args, options);
    const position = await positionOf(admin, checkpoint);
    const ranges = partitionRanges(checkpoint.plan, position);
    if (options.dryRun === true) {
      const total = ranges.reduce((sum, r) => sum + r.messages, 0);
      printTable(
        out,
        ranges.map((r) => ({ ...r })),
        { ...args, resuming, handOver: checkpoint.handOver, total, partitions: ranges },
      );
      if (!out.json)
        process.stdout.write(
          `dry run: ${total} messages in range${resuming ? ' (resuming)' : ''}; events before --from and those the connector's filters skip are read but not sent; nothing was sent\n`,
        );
      return;
    }
    if (!resuming) await checkpoints.save(checkpoint);
    if (!out.json)
      process.stderr.write(`${resuming ? 'resuming the' : 'starting a'} replay to ${definition.name} (${describeArgs(args)})\n`);
    const logger = createLogger('vigil-replay', config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL);
    const codec = new EventCodec(cliRegistry(config), { schemaIds: 'lookup' });
    const runner = new ReplayRunner(kafka, codec, logger, out);
    const replayed = { ...definition, categories: args.categories };
    const result = await runner.run(
      {
        definition: replayed,
        plan: checkpoint.plan,
        position,
        fromTimeMicros: from.getTime() * 1000,
        rate,
        label: `replay ${definition.name}`,
      },
      interruption.promise,
    );
    if (!isComplete(checkpoint, await positionOf(admin, checkpoint)))
      throw new CliError('the replay stopped before the end of its range; run the same command again to resume it');
    const handedOver = await handOver(kafka, admin, definition, checkpoint);
    await checkpoints.remove(definition.name);
    await admin.deleteGroups([replayGroupId(definition.name)]).catch(() => undefined);
    const summary = { ...args, resumed: resuming, ...result, handOver: handedOver };
    process.stdout.write(
      out.json
        ? `${JSON.stringify(summary)}\n`
        : `replayed to ${definition.name}: ${result.read} events read, ${result.sent} sent, ${result.deadLettered} dead-lettered\n${handedOver}\n`,
    );
  });
}

export function replayCommand(out: Output): Command {
  return new Command('replay')
    .description(
      'send a time range of the audit topics to a connector, through its mapping, batching, retries and dead letters (resumable)',
    )
    .requiredOption('--connector <name>', 'the connector (from the connectors file, VIGIL_CONFIG)')
    .requiredOption('--from <time>', 'ISO-8601 start: events whose time is at or after it are sent')
    .option('--to <time>', 'ISO-8601 end: events Kafka received before it (default: everything there is when the replay starts)')
    .option('--categories <list>', "comma-separated categories, a subset of the connector's (default: all of its categories)")
    .option('--rate <events/s>', 'send at most this many events per second (default: as fast as the SIEM takes them)')
    .option('--dry-run', 'print per topic and partition what would be sent, and send nothing')
    .option('--allow-partial', 'send what is retained when --from is older than the data Kafka still holds')
    .option('--restart', 'discard an unfinished replay to this connector and start over')
    .addHelpText(
      'after',
      '\nRe-running the same command after Ctrl-C or a crash resumes from the checkpoint. Replaying onto a connector that has\nnever run hands its consumer group over at the end: the live connector starts exactly where the replay ended.\nSee docs/replay.md.',
    )
    .action(async (options: ReplayOptions) => {
      await replay(cliConfig(), options, out);
    });
}
