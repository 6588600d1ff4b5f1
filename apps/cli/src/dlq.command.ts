import { Command } from 'commander';
import { Clock } from '@vigil/common';
import { DEAD_LETTER_TOPIC } from '@vigil/kafka';
import { DlqUseCase, redriveFailure, type DeadLetterDetail, type DeadLetterEntry, type RedriveRequest } from '@vigil/operations';
import { printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';
import { interruptionSignal } from './interruption.util';
import { cliObserver } from './progress.util';

interface ListOptions {
  connector?: string;
  reason?: string;
  limit: string;
}

function summary(e: DeadLetterEntry): Record<string, string | number | null> {
  return {
    ref: e.ref,
    time: e.time,
    reason: e.reason,
    consumer: e.consumer,
    origin: `${e.origin.topic}/${e.origin.partition}@${e.origin.offset}`,
    eventId: e.eventId,
  };
}

async function list(options: ListOptions, out: Output): Promise<void> {
  const { shown, total } = await withOperations((app) => app.get(DlqUseCase).list(options));
  printTable(
    out,
    shown.map(summary),
    shown.map((e) => ({ ...summary(e), detail: e.detail })),
  );
  if (!out.json && total > shown.length) process.stdout.write(`(the latest ${shown.length} of ${total}; raise --limit for more)\n`);
}

function printDetail(out: Output, { entry, event, decodeError }: DeadLetterDetail): void {
  const key = entry.key?.toString() ?? null;
  if (out.json) {
    process.stdout.write(`${JSON.stringify({ ref: entry.ref, key, headers: entry.headers, event, decodeError }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${DEAD_LETTER_TOPIC} ${entry.ref} (key ${key ?? 'none'})\n`);
  for (const [name, value] of Object.entries(entry.headers)) process.stdout.write(`  ${name}: ${value}\n`);
  process.stdout.write(
    decodeError === null ? `event:\n${JSON.stringify(event, null, 2)}\n` : `event: cannot be decoded (${decodeError})\n`,
  );
}

async function redrive(request: RedriveRequest, out: Output): Promise<void> {
  const signal = interruptionSignal();
  const outcome = await withOperations(async (app) => app.get(DlqUseCase).redrive(request, cliObserver(out, app.get(Clock)), signal));
  printTable(
    out,
    outcome.results.map((r) => ({
      connector: r.connector,
      sent: r.sent,
      deadLetteredAgain: r.deadLetteredAgain,
      undecodable: r.undecodable.length,
      refused: r.refused.length,
    })),
    outcome,
  );
  const failure = redriveFailure(outcome);
  if (failure !== undefined) throw failure;
}

export function dlqCommand(out: Output): Command {
  const dlq = new Command('dlq').description(`dead letters in ${DEAD_LETTER_TOPIC}: list, show, and redrive them to their connector`);
  dlq
    .command('list')
    .description('dead letters with reason, consumer, origin, event id and time (oldest first)')
    .option('--connector <name>', "only this connector's (its live group and its replays)")
    .option('--reason <reason>', 'only this reason, e.g. rejected-by-siem, avro, unmappable')
    .option('--limit <n>', 'show at most the latest n', '50')
    .action(async (options: ListOptions) => {
      await list(options, out);
    });
  dlq
    .command('show <ref>')
    .description('one dead letter (<partition>:<offset>): its headers and the decoded event when it decodes')
    .action(async (ref: string) => {
      printDetail(out, await withOperations((app) => app.get(DlqUseCase).show(ref)));
    });
  dlq
    .command('redrive [refs...]')
    .description('send dead letters back to their connector through its sink, once the cause is fixed (the SIEM deduplicates by event id)')
    .option('--all', 'every dead letter of --connector (and --reason, if given)')
    .option('--connector <name>', 'the connector to send to (default: the one that dead-lettered each letter)')
    .option('--reason <reason>', 'with --all: only this reason')
    .action(async (refs: string[], options: { all?: boolean; connector?: string; reason?: string }) => {
      await redrive({ ...options, refs }, out);
    });
  return dlq;
}
