import { Command } from 'commander';
import { DataSource } from 'typeorm';
import { AuditOutboxDeadRepository, OUTBOX_DEAD_TABLE } from '@vigil/audit-sdk';
import { cliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';

interface ListOptions {
  databaseUrl?: string;
  schema?: string;
  limit: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The service's database (its outbox lives there, not in Vigil's store); the CLI's DATABASE_URL by default. */
async function openServiceDatabase(options: ListOptions): Promise<DataSource> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema))
    throw new CliError(`--schema must be a plain name, got "${options.schema}"`, 2);
  const url = options.databaseUrl ?? cliConfig().DATABASE_URL;
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    ...(options.schema !== undefined && { extra: { options: `-c search_path=${options.schema}` } }),
  });
  try {
    return await dataSource.initialize();
  } catch (err) {
    throw new CliError(`cannot connect to the service's database: ${(err as Error).message}`);
  }
}

async function list(options: ListOptions, out: Output): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive integer', 2);
  const dataSource = await openServiceDatabase(options);
  try {
    const { rows, total } = await new AuditOutboxDeadRepository().list(dataSource.manager, limit).catch((err: unknown) => {
      const missing = (err as { code?: string }).code === '42P01';
      throw new CliError(
        missing ? `no ${OUTBOX_DEAD_TABLE} table there: add the CreateAuditOutboxDead migration to the service` : (err as Error).message,
      );
    });
    printTable(
      out,
      rows.map((r) => ({
        outboxId: r.id,
        deadAt: r.deadAt.toISOString(),
        tenant: r.tenantId,
        action: r.event.action,
        eventId: r.event.id,
        attempts: r.attempts,
        reason: r.reason,
      })),
      { total, rows },
    );
    if (!out.json && total > rows.length) process.stdout.write(`(the latest ${rows.length} of ${total}; raise --limit for more)\n`);
  } finally {
    await dataSource.destroy();
  }
}

export function outboxCommand(out: Output): Command {
  const outbox = new Command('outbox').description("a service's transactional outbox (the audit SDK's vigil_audit_outbox)");
  outbox
    .command('list')
    .description(`rows the relay moved aside (${OUTBOX_DEAD_TABLE}), latest first, with the reason`)
    .option('--database-url <url>', "the service's PostgreSQL (default: DATABASE_URL)")
    .option('--schema <name>', 'the schema holding the outbox, when not the default search_path')
    .option('--limit <n>', 'show at most the latest n', '50')
    .action(async (options: ListOptions) => {
      await list(options, out);
    });
  return outbox;
}
