import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Measurement {
  /** What was measured, e.g. "kafkajs produce (1 KiB, batches of 1,000)". */
  name: string;
  value: number;
  unit: string;
  /** Other figures of the same run (MB/s, p99 ...). */
  extra?: Record<string, number | string>;
}

export interface BenchReport {
  bench: string;
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  parameters: Record<string, number | string>;
  measurements: Measurement[];
  /** Ratios of a measurement to its baseline of the same run (noise-resistant across machines). */
  ratios: Record<string, number>;
}

const resultsDir = path.resolve(__dirname, '..', '..', '..', 'bench', 'results');

export function machine(): BenchReport['machine'] {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
  };
}

/** Writes the report as JSON (a timestamped file and `<bench>.latest.json`) and prints it as a table. */
export function writeReport(report: BenchReport): string {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = path.join(resultsDir, `${report.bench}.${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(path.join(resultsDir, `${report.bench}.latest.json`), json);
  const rows = report.measurements.map((m) => {
    const extra = Object.entries(m.extra ?? {})
      .map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : v}`)
      .join(' ');
    return `  ${m.name.padEnd(52)} ${String(round(m.value)).padStart(12)} ${m.unit.padEnd(10)} ${extra}`;
  });
  const ratios = Object.entries(report.ratios).map(([k, v]) => `  ${k.padEnd(52)} ${round(v).toFixed(2).padStart(12)} x`);
  process.stdout.write(
    [
      `\n${report.bench} (${report.machine.cpus} cores, ${report.machine.node})`,
      ...rows,
      ...(ratios.length > 0 ? ['  ratios:', ...ratios] : []),
      `  -> ${path.relative(process.cwd(), file)}`,
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * The p-th percentile of values sorted ascending (the value at that rank, no interpolation); `empty` when there are
 * none (NaN, or 0 where a bench reports nothing measured as 0).
 */
export function percentile(sorted: readonly number[], p: number, empty = Number.NaN): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? empty;
}

/** The middle value (the mean of the two middle ones for an even count), NaN for none; the values stay as they are. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

/** Seconds since `start` (a process.hrtime.bigint() reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * CPU seconds (user + system) used so far by every process on this host whose command is `name` (e.g. `postgres`:
 * the server, its backends and workers, and with them any other cluster running here), from /proc. A process's
 * children that have exited and been waited for count too (`cutime`, `cstime`), so a backend or worker that exits
 * between two reads keeps its seconds: the postmaster collects it. Undefined where there is no /proc or no such process.
 */
export function cpuSecondsOf(name: string): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let total = 0;
  let found = false;
  for (const dir of dirs) {
    try {
      const stat = readFileSync(`/proc/${dir}/stat`, 'utf8');
      if (commandOf(stat) !== name) continue;
      total += statCpuSeconds(stat, true);
      found = true;
    } catch {
      // exited while read
    }
  }
  return found ? total : undefined;
}

/**
 * CPU seconds (user + system, every thread) used so far by one process, from /proc; its children are not counted.
 * Undefined where there is no /proc or the process has gone.
 */
export function cpuSecondsOfPid(pid: number): number | undefined {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), false);
  } catch {
    return undefined;
  }
}

/** A /proc/<pid>/stat line's command: `pid (comm) state ...`, where comm may hold spaces or parentheses. */
function commandOf(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
}

/** utime + stime (and cutime + cstime, for children waited for), the 14th to 17th fields of a stat line, in seconds. */
function statCpuSeconds(stat: string, withChildren: boolean): number {
  const tick = 100; // USER_HZ, 100 on every Linux this runs on
  // The fields are counted from the last ')', after which comes the state field.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = Number(fields[11]) + Number(fields[12]);
  return (withChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / tick;
}
