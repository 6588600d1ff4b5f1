import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditPublisher } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';
import { repoRoot, testEnv, uniqueName } from '@vigil/testing';

const CLI = join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js');
export const HEC_TOKEN_ENV = 'REPLAY_IT_HEC_TOKEN';
export const HEC_TOKEN = 'replay-it-token';
/** A category the other tests leave alone, so replays stay small (the tests still never assume it is empty). */
export const CATEGORY = 'automation';
const ACTION = 'ai_suggestions.config.updated';
const HOUR_MS = 3_600_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A connectors file with one Splunk connector on the test category, pointing at the double. */
export function writeConnectorsFile(
  name: string,
  hecUrl: string,
  options: { maxEvents?: number; startFrom?: 'earliest' | 'latest'; tenants?: readonly string[] } = {},
): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vigil-replay-')), 'vigil.config.yaml');
  writeFileSync(
    path,
    `connectors:
  - name: ${name}
    type: splunk
    tenants: ${options.tenants === undefined ? 'all' : `[${options.tenants.join(', ')}]`}
    categories: [${CATEGORY}]
    startFrom: ${options.startFrom ?? 'earliest'}
    batch: { maxEvents: ${options.maxEvents ?? 500}, lingerMs: 20 }
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }
    splunk: { url: '${hecUrl}', allowInsecureHttp: true, tokenEnv: ${HEC_TOKEN_ENV} }
`,
  );
  return path;
}

export function cliEnv(configPath: string): Record<string, string> {
  return {
    VIGIL_CONFIG: configPath,
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    [HEC_TOKEN_ENV]: HEC_TOKEN,
    LOG_LEVEL: 'info',
  };
}

/**
 * The CLI as an operator runs it (compiled main.js), not yet awaited. Its environment is exactly `env` (built from the
 * stack's addresses by cliEnv), so a variable of the shell running the tests never changes what the CLI does.
 */
export function spawnCli(args: readonly string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

export async function runCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return spawnCli(args, env).done;
}

/** Fails with the CLI's output when it did not exit 0. */
export function ok(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`the CLI exited ${String(run.code)}:\n${run.stderr}\n${run.stdout}`);
  return run;
}

export function newPublisher(): AuditPublisher {
  return new AuditPublisher({
    kafka: { brokers: testEnv.kafkaBrokers },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'replay-e2e-spec' },
    batch: { maxQueued: 20_000, maxEvents: 500 },
  });
}

/** `count` events of a fresh tenant whose times are spread evenly over the last `hours` hours (oldest first). */
export async function publishSpread(
  publisher: AuditPublisher,
  count: number,
  hours: number,
): Promise<{ tenantId: string; events: AuditEvent[] }> {
  const tenantId = uniqueName('replay-tenant');
  const now = Date.now();
  const span = hours * HOUR_MS - 5 * 60_000;
  const events = await publisher.publishMany(
    Array.from({ length: count }, (_, i) => ({
      action: ACTION,
      tenantId,
      time: new Date(now - span + Math.floor((i * span) / count)),
      actor: { id: `user-${i % 50}` },
      description: `spread ${i}`,
    })),
  );
  return { tenantId, events };
}

/** `count` events of the tenant happening now. */
export function publishNow(publisher: AuditPublisher, tenantId: string, count: number, label: string): Promise<AuditEvent[]> {
  return publisher.publishMany(
    Array.from({ length: count }, (_, i) => ({ action: ACTION, tenantId, actor: { id: 'operator' }, description: `${label} ${i}` })),
  );
}

/** How often each id of `events` was received. */
export function countsOf(received: readonly string[], events: readonly AuditEvent[]): Map<string, number> {
  const counts = new Map(events.map((e) => [e.id, 0]));
  for (const id of received) {
    const n = counts.get(id);
    if (n !== undefined) counts.set(id, n + 1);
  }
  return counts;
}
