// Applies what the apps expect to exist: Kafka topics, registry schemas and database migrations,
// through the CLI (idempotent, so every start and test run can do it).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { log, root, run } from './proc.mts';

const cli = path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js');

/** The CLI steps, in order; each is idempotent. */
const steps = [
  ['topics', 'apply'],
  ['schemas', 'apply'],
  ['migrations', 'apply'],
] as const;

export async function prepareStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!existsSync(cli)) return;
  for (const step of steps) {
    log(`vigil ${step.join(' ')}`);
    await run(process.execPath, [cli, ...step], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
