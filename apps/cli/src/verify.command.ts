import { Command } from 'commander';
import { Clock } from '@vigil/common';
import { VerifyUseCase, type ChainReport, type VerifyReport } from '@vigil/operations';
import { CliError, printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';
import { interruptionSignal } from './interruption.util';
import { cliObserver } from './progress.util';

/** Exit code when the chain is broken (tampering found); 1 is any other failure. */
export const VERIFY_BROKEN_EXIT = 3;

function parseTime(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new CliError(`--${name} must be an ISO-8601 time such as 2026-11-01T00:00:00Z (got "${value.slice(0, 60)}")`);
  return time;
}

function rowOf(chain: ChainReport): Record<string, string | number | boolean | null> {
  return {
    category: chain.category,
    result: chain.ok ? 'intact' : (chain.finding?.kind ?? 'broken'),
    events: chain.checked,
    seq: chain.finding === undefined ? `${chain.first}..${chain.last}` : String(chain.finding.seq),
    id: chain.finding?.id ?? null,
    from: chain.anchor.kind === 'genesis' ? 'genesis' : `stored link ${chain.anchor.seq}`,
  };
}

function summary(report: VerifyReport): string {
  const lines = report.chains.filter((c) => c.finding !== undefined).map((c) => `${c.category}: ${c.finding?.detail ?? ''}`);
  if (report.unchained.count > 0)
    lines.push(
      `${report.unchained.count > 10 ? 'more than 10' : report.unchained.count} stored event(s) hold no place in any chain (added outside Vigil): ${report.unchained.ids.join(', ')}`,
    );
  if (report.chains.length === 0) lines.push(`no chained event of tenant ${report.tenantId} in the range`);
  return `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${report.ok ? 'intact' : 'BROKEN'}: ${report.checked} events checked\n`;
}

export function verifyCommand(out: Output): Command {
  return new Command('verify')
    .description(
      `recompute a tenant's hash chains from the store and report the first altered, inserted, deleted or reordered event (exit 0 intact, ${VERIFY_BROKEN_EXIT} broken, 1 error)`,
    )
    .requiredOption('--tenant <id>', 'the tenant whose chains to verify')
    .option('--category <name...>', 'only these categories (default: every category the tenant has events of)')
    .option('--from <time>', 'only events at or after this time (ISO-8601); the walk starts at the stored link before them')
    .option('--to <time>', 'only events before this time (ISO-8601)')
    .action(async (options: { tenant: string; category?: string[]; from?: string; to?: string }) => {
      if (options.tenant.trim() === '') throw new CliError('--tenant must not be empty');
      const from = parseTime('from', options.from);
      const to = parseTime('to', options.to);
      if (from !== undefined && to !== undefined && from >= to) throw new CliError('--from must be before --to');
      const signal = interruptionSignal();
      await withOperations(async (app) => {
        const report = await app.get(VerifyUseCase).execute(
          {
            tenantId: options.tenant,
            ...(options.category && { categories: options.category }),
            ...(from && { from }),
            ...(to && { to }),
          },
          cliObserver(out, app.get(Clock)),
          signal,
        );
        if (out.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          printTable(out, report.chains.map(rowOf));
          process.stdout.write(summary(report));
        }
        if (!report.ok) process.exitCode = VERIFY_BROKEN_EXIT;
      });
    });
}
