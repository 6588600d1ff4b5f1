import { Command } from 'commander';
import { EventCodec, EventDecodeException } from '@vigil/events';
import { DEAD_LETTER_TOPIC } from '@vigil/kafka';
import { createLogger } from '@vigil/observability';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { loadConnector } from './connector-definitions.loader';
import { connectorOf, readDeadLetters, readDeadLettersByRef, type DeadLetterEntry } from './dead-letter.repository';
import { DlqRedriveUseCase, type RedriveResult } from './dlq-redrive.use-case';
import { Interruption } from './interruption.util';
import { cliKafka, cliRegistry, withKafkaAdmin } from './kafka-admin.factory';

interface ListOptions {
  connector?: string;
  reason?: string;
  limit: string;
}

function limitOf(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive whole number, not "${value}"`, 2);
  return limit;
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

async function list(config: CliConfig, options: ListOptions, out: Output): Promise<void> {
  const limit = limitOf(options.limit);
  const entries = await withKafkaAdmin(config, (admin) =>
    readDeadLetters(cliKafka(config), admin, { connector: options.connector, reason: options.reason }),
  );
  const shown = entries.slice(-limit);
  printTable(
    out,
    shown.map(summary),
    shown.map((e) => ({ ...summary(e), detail: e.detail })),
  );
  if (!out.json && entries.length > shown.length)
    process.stdout.write(`(the latest ${shown.length} of ${entries.length}; raise --limit for more)\n`);
}

async function show(config: CliConfig, ref: string, out: Output): Promise<void> {
  const [entry] = await withKafkaAdmin(config, (admin) => readDeadLettersByRef(cliKafka(config), admin, [ref]));
  if (entry === undefined) return;
  let event: unknown = null;
  let decodeError: string | null = null;
  try {
    event = await new EventCodec(cliRegistry(config), { schemaIds: 'lookup' }).decode(entry.value, entry.origin.topic);
  } catch (err) {
    if (!(err instanceof EventDecodeException)) throw err;
    decodeError = `${err.reason}: ${err.message}`;
  }
  const result = { ref: entry.ref, key: entry.key?.toString() ?? null, headers: entry.headers, event, decodeError };
  if (out.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${DEAD_LETTER_TOPIC} ${entry.ref} (key ${result.key ?? 'none'})\n`);
  for (const [name, value] of Object.entries(entry.headers)) process.stdout.write(`  ${name}: ${value}\n`);
  process.stdout.write(
    decodeError === null ? `event:\n${JSON.stringify(event, null, 2)}\n` : `event: cannot be decoded (${decodeError})\n`,
  );
}

async function redrive(
  config: CliConfig,
  refs: string[],
  options: { all?: boolean; connector?: string; reason?: string },
  out: Output,
): Promise<void> {
  if (refs.length > 0 === (options.all === true))
    throw new CliError(
      'name the dead letters to redrive (<partition>:<offset> as `vigil dlq list` prints them), or pass --all --connector <name>',
      2,
    );
  if (options.all === true && options.connector === undefined) throw new CliError('--all needs --connector <name>', 2);
  const kafka = cliKafka(config);
  const logger = createLogger('vigil-dlq', config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL);
  const interruption = new Interruption('interrupted; letters not yet delivered are still in audit.dlq: redrive them again');
  const abort = new AbortController();
  interruption.promise.catch(() => abort.abort());
  const letters = await withKafkaAdmin(config, (admin) =>
    options.all === true
      ? readDeadLetters(kafka, admin, { connector: options.connector, reason: options.reason })
      : readDeadLettersByRef(kafka, admin, refs),
  );
  const byConnector = new Map<string, DeadLetterEntry[]>();
  for (const letter of letters) {
    const name = options.connector ?? connectorOf(letter);
    if (name === undefined)
      throw new CliError(
        `dead letter ${letter.ref} was written by ${letter.consumer}, not a connector; pass --connector <name> to send it to one`,
      );
    byConnector.set(name, [...(byConnector.get(name) ?? []), letter]);
  }
  const redriver = new DlqRedriveUseCase(kafka, new EventCodec(cliRegistry(config), { schemaIds: 'lookup' }), logger);
  const results: RedriveResult[] = [];
  for (const [name, entries] of byConnector) {
    results.push(await Promise.race([redriver.execute(loadConnector(config, name), entries, abort.signal), interruption.promise]));
  }
  printTable(
    out,
    results.map((r) => ({
      connector: r.connector,
      sent: r.sent,
      deadLetteredAgain: r.deadLetteredAgain,
      undecodable: r.undecodable.length,
    })),
    { letters: letters.length, results },
  );
  const stuck = results.flatMap((r) => r.undecodable);
  if (stuck.length > 0)
    throw new CliError(
      `${stuck.length} dead letter(s) still cannot be decoded (${stuck.map((s) => `${s.ref}: ${s.reason}`).join('; ')}); fix the schema or producer first`,
    );
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
      await list(cliConfig(), options, out);
    });
  dlq
    .command('show <ref>')
    .description('one dead letter (<partition>:<offset>): its headers and the decoded event when it decodes')
    .action(async (ref: string) => {
      await show(cliConfig(), ref, out);
    });
  dlq
    .command('redrive [refs...]')
    .description('send dead letters back to their connector through its sink, once the cause is fixed (the SIEM deduplicates by event id)')
    .option('--all', 'every dead letter of --connector (and --reason, if given)')
    .option('--connector <name>', 'the connector to send to (default: the one that dead-lettered each letter)')
    .option('--reason <reason>', 'with --all: only this reason')
    .action(async (refs: string[], options: { all?: boolean; connector?: string; reason?: string }) => {
      await redrive(cliConfig(), refs, options, out);
    });
  return dlq;
}
