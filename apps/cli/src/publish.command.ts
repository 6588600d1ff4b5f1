import { Command } from 'commander';
import { AuditPublisher, connectionOf, PublishException, type UntypedAuditEventInput } from '@vigil/audit-sdk';
import { EventValidationException, misspeltFieldIssues } from '@vigil/events';
import { createLogger } from '@vigil/observability';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { exampleEvent } from './example.factory';
import { readNdjsonLines } from './ndjson-lines.util';
import { PublishJournal } from './publish-journal.util';

const MAX_LINE_BYTES = 256 * 1024;
/** Ids a person can still read on one line; --json has them all. */
const SHOWN_IDS = 10;
/** Lines whose assignments are written to the journal before they are published. */
const JOURNAL_CHUNK = 1000;

interface LineResult {
  line: number;
  status: 'published' | 'invalid' | 'failed';
  id?: string;
  error?: string;
}

/** One NDJSON line to an event input, or the reason it is not one. Never throws on bad input. */
export function parseLine(text: string): { input: UntypedAuditEventInput } | { error: string } {
  if (Buffer.byteLength(text) > MAX_LINE_BYTES) return { error: `line longer than ${MAX_LINE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = (err as Error).message;
    // `{...}{...}` on one line: say what is wrong, not where the parser stopped.
    if (/after JSON/.test(reason)) return { error: `more than one JSON value on the line (one object per line): ${reason}` };
    return { error: `not valid JSON: ${reason}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'expected a JSON object' };
  return { input: value as UntypedAuditEventInput };
}

function publishLine(publisher: AuditPublisher, line: number, input: UntypedAuditEventInput): Promise<LineResult> {
  // Validation happens synchronously in prepare(); sending is batched across lines.
  return publisher.publish(input).then(
    (event): LineResult => ({ line, status: 'published', id: event.id }),
    (err: unknown): LineResult =>
      err instanceof EventValidationException
        ? { line, status: 'invalid', error: err.message }
        : { line, status: 'failed', error: err instanceof Error ? err.message : 'unknown error' },
  );
}

async function publishFile(publisher: AuditPublisher, file: string, journal: PublishJournal | undefined): Promise<LineResult[]> {
  const results: Promise<LineResult>[] = [];
  let chunk: { line: number; input: UntypedAuditEventInput }[] = [];
  const send = async (): Promise<void> => {
    await journal?.flush();
    for (const { line, input } of chunk) results.push(publishLine(publisher, line, input));
    chunk = [];
  };
  for await (const entry of readNdjsonLines(file, MAX_LINE_BYTES)) {
    const parsed = 'error' in entry ? entry : parseLine(entry.text);
    if ('error' in parsed) {
      results.push(Promise.resolve({ line: entry.line, status: 'invalid', error: parsed.error }));
      continue;
    }
    // A misspelt field is looked for in the line as written, before the journal fills in an id and a time (`tiem`
    // beside a filled-in time would pass); the publisher looks again in what it is given (misspeltFields).
    const misspelt = misspeltFieldIssues(parsed.input);
    if (misspelt.length > 0) {
      results.push(Promise.resolve({ line: entry.line, status: 'invalid', error: new EventValidationException(misspelt).message }));
      continue;
    }
    const input = journal !== undefined && 'text' in entry ? journal.assign(entry.text, parsed.input, Date.now() * 1000) : parsed.input;
    chunk.push({ line: entry.line, input });
    if (chunk.length >= JOURNAL_CHUNK) await send();
  }
  await send();
  return Promise.all(results);
}

/** The ids of what was published, in file order: all of them when few, else the first few (--json prints every one). */
function idsLine(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  const shown = ids.slice(0, SHOWN_IDS);
  const more = ids.length - shown.length;
  return `ids: ${shown.join(' ')}${more > 0 ? ` ... and ${more} more (--json prints every id)` : ''}\n`;
}

export function newPublisher(config: CliConfig): AuditPublisher {
  return new AuditPublisher({
    ...connectionOf(config, 'vigil-cli'),
    service: { name: 'vigil-cli' },
    retry: { retries: 3 },
    // Files written for Vigil (publish --file, import): a misspelt field is refused, not left out.
    misspeltFields: 'refuse',
    logger: createLogger('vigil-cli', 'fatal'),
  });
}

/** The file's outcome: bad lines with their reason, the counts, and the ids of what was published (every id with --json). */
function printFileResults(out: Output, results: readonly LineResult[], journal: PublishJournal | undefined): void {
  const bad = results.filter((r) => r.status !== 'published');
  const summary = {
    published: results.length - bad.length,
    invalid: bad.filter((r) => r.status === 'invalid').length,
    failed: bad.filter((r) => r.status === 'failed').length,
    reusedIds: journal?.reused ?? 0,
  };
  const ids = results.flatMap((r) => (r.id === undefined ? [] : [r.id]));
  if (out.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, ids, errors: bad }, null, 2)}\n`);
  } else {
    if (bad.length > 0)
      printTable(
        out,
        bad.map((r) => ({ line: r.line, status: r.status, error: r.error ?? '' })),
      );
    const reused = journal !== undefined && journal.reused > 0 ? ` (${journal.reused} with the ids of an earlier run)` : '';
    process.stdout.write(`${summary.published} published${reused}, ${summary.invalid} invalid, ${summary.failed} failed\n${idsLine(ids)}`);
    if (journal !== undefined) process.stdout.write(`ids kept in ${journal.path}: re-run the same command to retry the failed lines\n`);
  }
  if (bad.length > 0) process.exitCode = 1;
}

export function publishCommand(out: Output): Command {
  return new Command('publish')
    .description('validate and publish audit events from an NDJSON file, or a realistic example event')
    .option('-f, --file <path>', 'NDJSON file, one event per line')
    .option('--ids <path>', 'where --file keeps the id and time it gave each line (default: <file>.vigil-ids)')
    .option('--no-ids', 'do not keep ids: a re-run publishes the lines again under new ids')
    .option('-e, --example <action>', 'publish a sample event for a catalog action')
    .option('-t, --tenant <id>', 'tenant of the example event', 'acme')
    .addHelpText(
      'after',
      `
Re-running a file is safe: each line's event id and time (from the line, or assigned on the first run) are kept in
<file>.vigil-ids, and a re-run reuses them, so lines published before are deduplicated by the store and the SIEMs
instead of duplicated. A line is known by its content and its occurrence, so fixing bad lines keeps the others' ids.
Each bad line is reported with its number and reason (not JSON, not UTF-8, invalid event); the good lines are published.`,
    )
    .action(async (options: { file?: string; example?: string; tenant: string; ids: string | boolean }) => {
      if ((options.file === undefined) === (options.example === undefined))
        throw new CliError('give exactly one of --file <path> or --example <action>', 2);
      const publisher = newPublisher(cliConfig());
      try {
        if (options.file !== undefined) {
          const journal =
            options.ids === false
              ? undefined
              : await PublishJournal.open(typeof options.ids === 'string' ? options.ids : `${options.file}.vigil-ids`);
          return printFileResults(out, await publishFile(publisher, options.file, journal), journal);
        }
        const event = await publisher.publish(exampleEvent(options.example ?? '', options.tenant));
        process.stdout.write(
          out.json ? `${JSON.stringify(event, null, 2)}\n` : `published ${event.action} ${event.id} to audit.${event.category}\n`,
        );
      } catch (err) {
        if (err instanceof EventValidationException || err instanceof PublishException) throw new CliError(err.message);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no such file: ${options.file ?? ''}`);
        throw err;
      } finally {
        await publisher.close().catch(() => undefined);
      }
    });
}
