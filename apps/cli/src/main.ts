// `npm run vigil -- <command>`: Vigil's operations CLI. Each command runs its use-case in a Nest application context.
import 'reflect-metadata';
import { Command } from 'commander';
import { apikeysCommand } from './apikeys.command';
import { failureOf } from './cli-error.mapper';
import type { Output } from './cli.util';
import { connectorsCommand } from './connectors.command';
import { dlqCommand } from './dlq.command';
import { migrationsCommand } from './migrations.command';
import { outboxCommand } from './outbox.command';
import { importCommand } from './import.command';
import { publishCommand } from './publish.command';
import { rebuildCommand } from './rebuild.command';
import { verifyCommand } from './verify.command';
import { checkpointCommand } from './checkpoint.command';
import { replayCommand } from './replay.command';
import { schemasCommand } from './schemas.command';
import { streamsCommand } from './streams.command';
import { topicsCommand } from './topics.command';
import { viewerTokensCommand } from './viewer-tokens.command';

async function main(argv: string[]): Promise<void> {
  const out: Output = { json: argv.includes('--json') };
  const program = new Command('vigil')
    .description("Vigil's operations CLI: topics, schemas, publishing, the store, connectors, streams and replay")
    .option('--json', 'print results as JSON for scripts')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(topicsCommand(out).exitOverride());
  program.addCommand(schemasCommand(out).exitOverride());
  program.addCommand(publishCommand(out).exitOverride());
  program.addCommand(importCommand(out).exitOverride());
  program.addCommand(migrationsCommand(out).exitOverride());
  program.addCommand(apikeysCommand(out).exitOverride());
  program.addCommand(viewerTokensCommand(out).exitOverride());
  program.addCommand(rebuildCommand(out).exitOverride());
  program.addCommand(verifyCommand(out).exitOverride());
  program.addCommand(checkpointCommand(out).exitOverride());
  program.addCommand(replayCommand(out).exitOverride());
  program.addCommand(connectorsCommand(out).exitOverride());
  program.addCommand(dlqCommand(out).exitOverride());
  program.addCommand(outboxCommand(out).exitOverride());
  program.addCommand(streamsCommand(out).exitOverride());
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  const { message, exitCode } = failureOf(err);
  if (message !== null) process.stderr.write(`error: ${message}\n`);
  process.exitCode = exitCode;
});
