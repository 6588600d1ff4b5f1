import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { defineConfig, loadConfig } from '@vigil/config';
import { chainEnv, parseCheckpoints, parsePublicKeys, parseSigningKeys, verifyExport } from '@vigil/integrity';
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
    from:
      chain.anchor.kind === 'genesis'
        ? 'genesis'
        : `${chain.anchor.kind === 'retention' ? 'retention anchor' : 'stored link'} ${chain.anchor.seq}`,
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

const verifyConfigSchema = defineConfig({ VIGIL_CHAIN_SIGNING_KEYS: chainEnv.VIGIL_CHAIN_SIGNING_KEYS });

/** The keys the checkpoints are checked with: a file's, else those of VIGIL_CHAIN_SIGNING_KEYS, else none. */
export function loadPublicKeys(file: string | undefined): Map<string, KeyObject> | undefined {
  try {
    if (file !== undefined) return parsePublicKeys(readFileSync(file, 'utf8'));
    const keys = parseSigningKeys(loadConfig(verifyConfigSchema).VIGIL_CHAIN_SIGNING_KEYS ?? '');
    return keys.length === 0 ? undefined : new Map(keys.map((k) => [k.id, k.publicKey]));
  } catch (err) {
    throw new CliError(`${file ?? 'VIGIL_CHAIN_SIGNING_KEYS'}: ${(err as Error).message}`);
  }
}

interface VerifyOptions {
  tenant?: string;
  file?: string;
  checkpoints?: string;
  category?: string[];
  from?: string;
  to?: string;
  publicKeys?: string;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `vigil verify --file`: an export checked offline, with nothing but its checkpoints and the public keys. */
function verifyFile(out: Output, file: string, checkpointsFile: string | undefined, publicKeys: Map<string, KeyObject> | undefined): void {
  let result: ReturnType<typeof verifyExport>;
  try {
    const checkpoints = checkpointsFile === undefined ? [] : parseCheckpoints(readText(checkpointsFile, 'checkpoints'));
    result = verifyExport(readText(file, 'export'), checkpoints, publicKeys);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  const ok = result.chains.every((c) => c.verdict.ok);
  const checked = result.chains.reduce((n, c) => n + c.verdict.checked, 0);
  if (out.json) process.stdout.write(`${JSON.stringify({ ok, checked, ...result }, null, 2)}\n`);
  else {
    printTable(
      out,
      result.chains.map((c) => ({
        tenant: c.tenantId,
        category: c.category,
        result: c.verdict.ok ? 'intact' : c.verdict.finding,
        events: c.verdict.checked,
        seq: c.verdict.ok ? `${c.first}..${c.last}` : String(c.verdict.seq),
        id: c.verdict.ok ? null : (c.verdict.id ?? null),
        from: c.anchor,
        checkpoints: c.checkpointsMatched,
      })),
    );
    const problems = result.chains.flatMap((c) => (c.verdict.ok ? [] : [`${c.tenantId}/${c.category}: ${c.verdict.detail}`]));
    if (result.chains.some((c) => c.anchor === 'first-line'))
      problems.push('a chain starts at its first line (no checkpoint before it): that line itself is not proven');
    if (publicKeys === undefined && checkpointsFile !== undefined)
      problems.push('no public keys: the checkpoints’ signatures were not checked');
    if (result.unchained > 0) problems.push(`${result.unchained} line(s) without a chain position were not verified`);
    process.stdout.write(`${problems.map((p) => `${p}\n`).join('')}${ok ? 'intact' : 'BROKEN'}: ${checked} events checked\n`);
  }
  if (!ok) process.exitCode = VERIFY_BROKEN_EXIT;
}

export function verifyCommand(out: Output): Command {
  return new Command('verify')
    .description(
      `recompute a tenant's hash chains from the store and report the first altered, inserted, deleted or reordered event (exit 0 intact, ${VERIFY_BROKEN_EXIT} broken, 1 error)`,
    )
    .option('--tenant <id>', 'the tenant whose chains to verify in the store')
    .option('--file <export.ndjson>', 'verify an NDJSON export (GET /v1/events/export) offline instead of the store')
    .option(
      '--checkpoints <file>',
      'with --file: the checkpoints (the answer of the GraphQL checkpoints query) to anchor and check it with',
    )
    .option('--category <name...>', 'only these categories (default: every category the tenant has events of)')
    .option('--from <time>', 'only events at or after this time (ISO-8601); the walk starts at the stored link before them')
    .option('--to <time>', 'only events before this time (ISO-8601)')
    .option(
      '--public-keys <file>',
      'check the checkpoints’ signatures with these keys (the JSON GET /v1/integrity/keys answers); default: VIGIL_CHAIN_SIGNING_KEYS when set',
    )
    .action(async (options: VerifyOptions) => {
      const publicKeys = loadPublicKeys(options.publicKeys);
      if (options.file !== undefined) {
        if (options.tenant !== undefined || options.from !== undefined || options.to !== undefined || options.category !== undefined)
          throw new CliError('--file verifies the whole file: it takes no --tenant, --category, --from or --to');
        verifyFile(out, options.file, options.checkpoints, publicKeys);
        return;
      }
      if (options.checkpoints !== undefined) throw new CliError('--checkpoints goes with --file; the store holds its own');
      if (options.tenant === undefined || options.tenant.trim() === '')
        throw new CliError('give --tenant <id> (the store) or --file <export.ndjson>');
      const tenant = options.tenant;
      const from = parseTime('from', options.from);
      const to = parseTime('to', options.to);
      if (from !== undefined && to !== undefined && from >= to) throw new CliError('--from must be before --to');
      const signal = interruptionSignal();
      await withOperations(async (app) => {
        const report = await app.get(VerifyUseCase).execute(
          {
            tenantId: tenant,
            ...(options.category && { categories: options.category }),
            ...(from && { from }),
            ...(to && { to }),
            ...(publicKeys && { publicKeys }),
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
