// `npm run vigil -- <command>`: Vigil's operations CLI.
import { Command } from 'commander';
import { ConfigException } from '@vigil/config';
import { apikeysCommand } from './apikeys.command';
import { CliError, isCommanderExit, type Output } from './cli.util';
import { connectorsCommand } from './connectors.command';
import { dlqCommand } from './dlq.command';
import { migrationsCommand } from './migrations.command';
import { publishCommand } from './publish.command';
import { rebuildCommand } from './rebuild.command';
import { replayCommand } from './replay.command';
import { schemasCommand } from './schemas.command';
import { topicsCommand } from './topics.command';

async function main(argv: string[]): Promise<void> {
  const out: Output = { json: argv.includes('--json') };
  const program = new Command('vigil')
    .description("Vigil's operations CLI: topics, schemas, publishing, the store, connectors and replay")
    .option('--json', 'print results as JSON for scripts')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(topicsCommand(out).exitOverride());
  program.addCommand(schemasCommand(out).exitOverride());
  program.addCommand(publishCommand(out).exitOverride());
  program.addCommand(migrationsCommand(out).exitOverride());
  program.addCommand(apikeysCommand(out).exitOverride());
  program.addCommand(rebuildCommand(out).exitOverride());
  program.addCommand(replayCommand(out).exitOverride());
  program.addCommand(connectorsCommand(out).exitOverride());
  program.addCommand(dlqCommand(out).exitOverride());
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (isCommanderExit(err)) {
    process.exitCode = err.exitCode;
    return;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigException) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
});
