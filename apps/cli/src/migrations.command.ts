import { Command } from 'commander';
import { runMigrations } from '@vigil/store';
import { cliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';

export function migrationsCommand(out: Output): Command {
  const migrations = new Command('migrations').description('the PostgreSQL store schema (TypeORM migrations; never synchronize)');
  migrations
    .command('apply')
    .description('apply pending migrations to DATABASE_URL (idempotent; one migrator at a time)')
    .action(async () => {
      const config = cliConfig();
      let applied: string[];
      try {
        applied = await runMigrations(config.DATABASE_URL);
      } catch (err) {
        const message = (err as Error).message;
        if (/ECONNREFUSED|ENOTFOUND|does not exist|password authentication/.test(message)) {
          throw new CliError(
            `cannot reach the store at ${new URL(config.DATABASE_URL).host}${new URL(config.DATABASE_URL).pathname}: ${message}. Run \`npm run stack:up\` or set DATABASE_URL.`,
          );
        }
        throw err;
      }
      printTable(
        out,
        applied.map((name) => ({ migration: name, status: 'applied' })),
        { applied },
      );
      if (!out.json && applied.length === 0) process.stdout.write('the store schema is up to date\n');
    });
  return migrations;
}
