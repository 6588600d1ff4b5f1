import { Command } from 'commander';
import { CONFIRM_TIMEOUT_MS, ConnectorStatusUseCase, type ConnectorStatusReport, type ControlResult } from '@vigil/operations';
import { printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';

function printStatus(out: Output, rows: readonly ConnectorStatusReport[]): void {
  printTable(
    out,
    rows.map((r) => ({
      connector: r.connector,
      state: r.state,
      lag: r.lag,
      'lag by topic': Object.entries(r.lagByTopic)
        .map(([t, n]) => `${t.replace(/^audit\./, '')}=${n}`)
        .join(' '),
      'last success': r.lastSuccessAt,
      'last error': r.lastError === null ? null : `${r.lastError.at} ${r.lastError.message.slice(0, 80)}`,
      'dead-lettered': r.deadLettered,
    })),
    rows,
  );
}

function printControl(out: Output, result: ControlResult, wait: boolean): void {
  const { connector: name, action, confirmed } = result;
  if (out.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    process.stdout.write(
      confirmed
        ? `${name}: ${action === 'pause' ? 'paused' : 'resumed'} (confirmed by the running app)\n`
        : `${name}: ${action} recorded; ${wait ? `no running app confirmed it within ${CONFIRM_TIMEOUT_MS / 1000} s, so it` : 'it'} applies when the connector's app runs (check with \`vigil connectors status ${name}\`)\n`,
    );
}

export function connectorsCommand(out: Output): Command {
  const connectors = new Command('connectors').description(
    'the SIEM connectors of the connectors file (VIGIL_CONFIG): list, status, pause, resume',
  );
  connectors
    .command('list')
    .description('the connectors declared in the connectors file')
    .action(async () => {
      const all = await withOperations((app) => Promise.resolve(app.get(ConnectorStatusUseCase).list()));
      printTable(
        out,
        all.map((c) => ({
          connector: c.name,
          type: c.type,
          enabled: c.enabled,
          format: c.format,
          categories: c.categories.join(','),
          startFrom: c.startFrom,
        })),
      );
    });
  connectors
    .command('status [name]')
    .description('state, lag per topic (committed offsets vs the topics’ ends), last success, last error, dead-lettered count')
    .action(async (name: string | undefined) => {
      printStatus(out, await withOperations((app) => app.get(ConnectorStatusUseCase).status(name)));
    });
  for (const action of ['pause', 'resume'] as const) {
    connectors
      .command(`${action} <name>`)
      .description(
        action === 'pause'
          ? 'stop delivering (the running app stops fetching; nothing is lost) until resumed; holds across restarts'
          : 'deliver again after a pause',
      )
      .option('--no-wait', 'do not wait for the running app to confirm')
      .action(async (name: string, options: { wait: boolean }) => {
        const result = await withOperations((app) => app.get(ConnectorStatusUseCase).control(name, action, options.wait));
        printControl(out, result, options.wait);
      });
  }
  return connectors;
}
