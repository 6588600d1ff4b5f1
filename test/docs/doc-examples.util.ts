import { spawn } from 'node:child_process';

/** A fenced shell block of a Markdown document, as commands a reader would paste one by one. */
export interface ShellBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** One entry per command: continuation lines joined, blank and comment-only lines left out. */
  commands: string[];
  /** Why the block is not run by the examples test, from a `<!-- not-run: reason -->` line right above it. */
  notRun?: string;
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell']);
const FENCE = /^```\s*([\w-]*)\s*$/;
const NOT_RUN = /^<!--\s*not-run:(.*?)-->$/;

/** Every sh/bash/shell fenced block of the document, in order; a `not-run` marker without a reason is an error. */
export function shellBlocks(markdown: string, file: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const language = FENCE.exec(lines[i] ?? '')?.[1];
    if (language === undefined) continue;
    const end = lines.findIndex((text, j) => j > i && /^```\s*$/.test(text));
    const close = end === -1 ? lines.length : end;
    if (SHELL_LANGUAGES.has(language)) {
      const block: ShellBlock = { file, line: i + 1, commands: commandsOf(lines.slice(i + 1, close)) };
      const marker = markerAbove(lines, i);
      if (marker !== undefined) {
        if (marker === '') throw new Error(`${file}:${i}: a not-run marker must say why the block cannot run`);
        block.notRun = marker;
      }
      blocks.push(block);
    }
    i = close;
  }
  return blocks;
}

function markerAbove(lines: readonly string[], fence: number): string | undefined {
  for (let j = fence - 1; j >= 0; j--) {
    const text = (lines[j] ?? '').trim();
    if (text === '') continue;
    return NOT_RUN.exec(text)?.[1]?.trim();
  }
  return undefined;
}

function commandsOf(body: readonly string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const raw of body) {
    if (pending === '' && (raw.trim() === '' || raw.trim().startsWith('#'))) continue;
    if (raw.endsWith('\\')) {
      pending += `${raw}\n`;
      continue;
    }
    commands.push(pending + raw);
    pending = '';
  }
  if (pending !== '') commands.push(pending.trimEnd());
  return commands;
}

/** A variable assignment only (`FROM=$(...)`): later commands of the block need it, as in the reader's shell. */
export function isAssignment(command: string): boolean {
  return assignedName(command) !== undefined;
}

/** The variable an assignment sets (`STREAM=$(curl ... \\n ...)` included), or undefined for any other command. */
export function assignedName(command: string): string | undefined {
  const line = command.trim();
  if (/^[A-Za-z_]\w*=\$\([\s\S]*\)(\s+#.*)?$/.test(line) || /^[A-Za-z_]\w*=\S*(\s+#.*)?$/.test(line))
    return line.slice(0, line.indexOf('='));
  return undefined;
}

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one script with bash (errexit, pipefail), as a reader's shell would. */
export function runShell(script: string, options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -eo pipefail\n${script}`], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
