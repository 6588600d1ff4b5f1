import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { AuditPublisher, PublishException, type UntypedAuditEventInput } from '@vigil/audit-sdk';
import { EventValidationException } from '@vigil/events';
import { createLogger } from '@vigil/observability';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { exampleEvent } from './example.factory';

const MAX_LINE_BYTES = 256 * 1024;
/** Ids a person can still read on one line; --json has them all. */
const SHOWN_IDS = 10;

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
    return { error: `not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'expected a JSON object' };
  return { input: value as UntypedAuditEventInput };
}

async function publishFile(publisher: AuditPublisher, file: string): Promise<LineResult[]> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const results: Promise<LineResult>[] = [];
  let n = 0;
  for await (const raw of lines) {
    const line = ++n;
    if (raw.trim() === '') continue;
    const parsed = parseLine(raw);
    if ('error' in parsed) {
      results.push(Promise.resolve({ line, status: 'invalid', error: parsed.error }));
      continue;
    }
    // Validation happens synchronously in prepare(); sending is batched across lines.
    results.push(
      publisher.publish(parsed.input).then(
        (event): LineResult => ({ line, status: 'published', id: event.id }),
        (err: unknown): LineResult =>
          err instanceof EventValidationException
            ? { line, status: 'invalid', error: err.message }
            : { line, status: 'failed', error: err instanceof Error ? err.message : 'unknown error' },
      ),
    );
  }
  return Promise.all(results);
}

/** The ids of what was published, in file order: all of them when few, else the first few (--json prints every one). */
function idsLine(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  const shown = ids.slice(0, SHOWN_IDS);
  const more = ids.length - shown.length;
  return `ids: ${shown.join(' ')}${more > 0 ? ` ... and ${more} more (--json prints every id)` : ''}\n`;
}

function newPublisher(config: CliConfig): AuditPublisher {
  return new AuditPublisher({
    kafka: { brokers: config.KAFKA_BROKERS, clientId: 'vigil-cli' },
    schemaRegistry: {
      url: config.SCHEMA_REGISTRY_URL,
      username: config.SCHEMA_REGISTRY_USERNAME,
      password: config.SCHEMA_REGISTRY_PASSWORD,
    },
    service: { name: 'vigil-cli' },
    retry: { retries: 3 },
    logger: createLogger('vigil-cli', 'fatal'),
  });
}

/** The file's outcome: bad lines with their reason, the counts, and the ids of what was published (every id with --json). */
function printFileResults(out: Output, results: readonly LineResult[]): void {
  const bad = results.filter((r) => r.status !== 'published');
  const summary = {
    published: results.length - bad.length,
    invalid: bad.filter((r) => r.status === 'invalid').length,
    failed: bad.filter((r) => r.status === 'failed').length,
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
    process.stdout.write(`${summary.published} published, ${summary.invalid} invalid, ${summary.failed} failed\n${idsLine(ids)}`);
  }
  if (bad.length > 0) process.exitCode = 1;
}

export function publishCommand(out: Output): Command {
  return new Command('publish')
    .description('validate and publish audit events from an NDJSON file, or a realistic example event')
    .option('-f, --file <path>', 'NDJSON file, one event per line')
    .option('-e, --example <action>', 'publish a sample event for a catalog action')
    .option('-t, --tenant <id>', 'tenant of the example event', 'acme')
    .action(async (options: { file?: string; example?: string; tenant: string }) => {
      if ((options.file === undefined) === (options.example === undefined))
        throw new CliError('give exactly one of --file <path> or --example <action>', 2);
      const publisher = newPublisher(cliConfig());
      try {
        if (options.file !== undefined) return printFileResults(out, await publishFile(publisher, options.file));
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
