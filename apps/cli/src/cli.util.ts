import { CommanderError } from 'commander';

/** A command failure with a message that says what to do; main prints it and exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Output {
  json: boolean;
}

/** Prints a result: JSON for scripts (--json), an aligned table for people. */
export function printTable(out: Output, rows: readonly Record<string, string | number | boolean | null>[], json: unknown = rows): void {
  if (out.json) {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(nothing)\n');
    return;
  }
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n')}\n`,
  );
}

export function isCommanderExit(err: unknown): err is CommanderError {
  return err instanceof CommanderError;
}
