import { Command } from 'commander';
import { Clock } from '@vigil/common';
import { ConsumerGroups } from '@vigil/kafka';
import { ReplayUseCase, type ReplayPreview, type ReplayRequest } from '@vigil/operations';
import { printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';
import { interruptionSignal } from './interruption.util';
import { cliObserver } from './progress.util';
import { replayIntoStream } from './streams.command';
import { CliError } from './cli.util';

interface ReplayOptions extends Omit<ReplayRequest, 'connector'> {
  connector?: string;
  stream?: string;
  dryRun?: boolean;
}

/** The dry run for people: the ranges, the total, and whether the connector's live group would be handed over. */
function printPreview(out: Output, preview: ReplayPreview): void {
  const { partitions, total, resuming, handOver, connector } = preview;
  printTable(
    out,
    partitions.map((r) => ({ ...r })),
    preview,
  );
  if (out.json) return;
  process.stdout.write(
    `dry run: ${total} messages in range${resuming ? ' (resuming)' : ''}; events before --from and those the connector's filters skip are read but not sent; nothing was sent\n${
      handOver
        ? `hand-over: ${connector} has never consumed, so at the end ${ConsumerGroups.connector(connector)} would start at the replay's end offsets (unless the connector starts consuming meanwhile)`
        : `no hand-over: ${connector} already has committed offsets (a re-send); its group would be left untouched`
    }\n`,
  );
}

async function replay(options: ReplayOptions, out: Output): Promise<void> {
  if ((options.connector === undefined) === (options.stream === undefined)) throw new CliError('name either --connector or --stream', 2);
  if (options.stream !== undefined) return replayIntoStream(options.stream, options.from, out);
  const request: ReplayRequest = { ...options, connector: options.connector ?? '' };
  await withOperations(async (app) => {
    const replays = app.get(ReplayUseCase);
    if (options.dryRun === true) return printPreview(out, await replays.preview(request));
    const summary = await replays.run(request, cliObserver(out, app.get(Clock)), interruptionSignal());
    process.stdout.write(
      out.json
        ? `${JSON.stringify(summary)}\n`
        : `replayed to ${summary.connector}: ${summary.read} events read, ${summary.sent} sent, ${summary.deadLettered} dead-lettered\n${summary.handOver}\n`,
    );
  });
}

export function replayCommand(out: Output): Command {
  return new Command('replay')
    .description(
      'send a time range of the audit topics to a connector, through its mapping, batching, retries and dead letters (resumable)',
    )
    .option('--connector <name>', 'the connector (from the connectors file, VIGIL_CONFIG)')
    .option(
      '--stream <id>',
      'a per-tenant stream instead: the streams app re-delivers from --from, then the stream rejoins (other options do not apply)',
    )
    .requiredOption('--from <time>', 'ISO-8601 start: events whose time is at or after it are sent')
    .option('--to <time>', 'ISO-8601 end: events Kafka received before it (default: everything there is when the replay starts)')
    .option('--categories <list>', "comma-separated categories, a subset of the connector's (default: all of its categories)")
    .option('--rate <events/s>', 'send at most this many events per second (default: as fast as the SIEM takes them)')
    .option(
      '--lookback <duration>',
      'start reading Kafka this long before --from, for events stamped ahead of their publishing: 30m, 2h, 1d (default: 1d plus 5m, as far ahead as an event may be stamped)',
    )
    .option('--dry-run', 'print per topic and partition what would be sent, and send nothing')
    .option('--allow-partial', 'send what is retained when --from is older than the data Kafka still holds')
    .option('--restart', 'discard an unfinished replay to this connector and start over')
    .addHelpText(
      'after',
      '\nRe-running the same command after Ctrl-C or a crash resumes from the checkpoint. Replaying onto a connector that has\nnever run hands its consumer group over at the end: the live connector starts exactly where the replay ended.\nSee docs/replay.md.',
    )
    .action(async (options: ReplayOptions) => {
      await replay(options, out);
    });
}
