import { Command } from 'commander';
import { Clock } from '@vigil/common';
import { RebuildUseCase } from '@vigil/operations';
import type { Output } from './cli.util';
import { withOperations } from './cli.module';
import { interruptionSignal } from './interruption.util';
import { cliObserver } from './progress.util';

export function rebuildCommand(out: Output): Command {
  return new Command('rebuild')
    .description('rebuild the store from the Kafka topics into fresh tables, then switch over (resumable)')
    .option('--restart', 'discard an interrupted rebuild and start from the earliest offsets again')
    .action(async (options: { restart?: boolean }) => {
      const signal = interruptionSignal();
      await withOperations(async (app) => {
        const request = { restart: options.restart === true };
        const summary = await app.get(RebuildUseCase).execute(request, cliObserver(out, app.get(Clock)), signal);
        process.stdout.write(
          out.json
            ? `${JSON.stringify(summary)}\n`
            : `rebuilt ${summary.schema}.audit_event: ${summary.stored} events stored, ${summary.caughtUp} caught up, ${summary.partitions} partitions switched\n`,
        );
      });
    });
}
