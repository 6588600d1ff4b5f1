import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { PublishException, type AuditPublisher, type UntypedAuditEventInput } from '@vigil/audit-sdk';
import { EventValidationException } from '@vigil/events';
import { IMPORT_FORMATS, importRecords, isImportFormat, type ImportedRecord } from '@vigil/ingest';
import { cliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { newPublisher } from './publish.command';

/** An import file is read whole; beyond this, split it (or stream NDJSON through `vigil publish`). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

interface RecordResult {
  line: number;
  status: 'published' | 'invalid' | 'failed';
  id?: string;
  error?: string;
}

function publishRecord(publisher: AuditPublisher, record: ImportedRecord, tenantId: string): Promise<RecordResult> {
  const { line, item } = record;
  if ('issues' in item)
    return Promise.resolve({
      line,
      status: 'invalid',
      error: item.issues.map((i) => (i.path ? `${i.path}: ${i.rule}` : i.rule)).join('; '),
    });
  let event;
  try {
    event = publisher.prepare({ ...item.input, tenantId } as UntypedAuditEventInput);
  } catch (err) {
    if (err instanceof EventValidationException) return Promise.resolve({ line, status: 'invalid', error: err.message });
    throw err;
  }
  return publisher.publishPrepared(event).then(
    (published): RecordResult => ({ line, status: 'published', id: published.id }),
    (err: unknown): RecordResult => ({ line, status: 'failed', error: err instanceof Error ? err.message : String(err) }),
  );
}

export function importCommand(out: Output): Command {
  return new Command('import')
    .description(`publish a file of audit records in a vendor's own shape (${IMPORT_FORMATS.join(', ')}) for one tenant`)
    .requiredOption('--format <format>', IMPORT_FORMATS.join(' | '))
    .requiredOption('-f, --file <path>', 'the records: a JSON array, NDJSON, or JSON objects one after the other')
    .requiredOption('-t, --tenant <id>', 'the tenant the records belong to')
    .addHelpText(
      'after',
      `
Each record becomes an event through the catalog's vendor names (docs/ingest.md). A record that is not JSON, names an
event the catalog does not know, or has a time without a UTC offset is reported with its line and why; the others are
published. Ids derive from each record's content, so importing the same file again is deduplicated by the store and
the SIEMs. Exit code 1 when any record was not published.`,
    )
    .action(async (options: { format: string; file: string; tenant: string }) => {
      if (!isImportFormat(options.format))
        throw new CliError(`unknown format ${options.format}: expected one of ${IMPORT_FORMATS.join(', ')}`, 2);
      const info = await stat(options.file).catch(() => undefined);
      if (info === undefined) throw new CliError(`no such file: ${options.file}`);
      if (info.size > MAX_FILE_BYTES) throw new CliError(`${options.file} is larger than ${MAX_FILE_BYTES} bytes; split it`);
      const records = importRecords(options.format, await readFile(options.file, 'utf8'), options.tenant);
      const publisher = newPublisher(cliConfig());
      let results: RecordResult[];
      try {
        results = await Promise.all(records.map((r) => publishRecord(publisher, r, options.tenant)));
      } catch (err) {
        if (err instanceof PublishException) throw new CliError(err.message);
        throw err;
      } finally {
        await publisher.close().catch(() => undefined);
      }
      const bad = results.filter((r) => r.status !== 'published');
      const published = results.length - bad.length;
      if (out.json) process.stdout.write(`${JSON.stringify({ published, notPublished: bad.length, results }, null, 2)}\n`);
      else {
        if (bad.length > 0)
          printTable(
            out,
            bad.map((r) => ({ line: r.line, status: r.status, error: r.error ?? '' })),
          );
        process.stdout.write(
          `${published} published, ${bad.filter((r) => r.status === 'invalid').length} invalid, ${bad.filter((r) => r.status === 'failed').length} failed (${options.format}, tenant ${options.tenant})\n`,
        );
      }
      if (bad.length > 0) process.exitCode = 1;
    });
}
