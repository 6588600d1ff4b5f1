// `npm start`: on a fresh clone, installs what is missing (scripts/with-node.sh: Node 24 and npm
// packages; the stack: Kafka and registry jars), brings the stack up, applies topics, schemas and
// migrations when those commands exist, starts every app, and prints the endpoints. Ctrl-C stops the
// apps cleanly (SIGTERM, they drain), and leaves the stack running (`npm run stack:down` stops it).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from './lib/build.mts';
import { devStack } from './lib/env.mts';
import { principalEnv, savedMode, type KafkaMode, type Principal } from './lib/kafka-cluster.mts';
import { prepareStack } from './lib/prepare.mts';
import { log, root, run, ScriptError } from './lib/proc.mts';

interface NestProject {
  type: 'application' | 'library';
  root: string;
  entryFile?: string;
}

/** Apps that run as long-lived services, with the port each listens on by default. */
const servicePorts: Record<string, number> = {
  'query-api': 4000,
  materializer: 4100,
  streams: 4210,
  'connector-splunk': 4201,
  'connector-http': 4202,
  'connector-datadog': 4203,
  'connector-sentinel': 4204,
  'connector-elasticsearch': 4205,
  'ingest-gateway': 4300,
};

function services(): { name: string; main: string; port: number }[] {
  const nest = JSON.parse(readFileSync(path.join(root, 'nest-cli.json'), 'utf8')) as { projects: Record<string, NestProject> };
  return Object.entries(nest.projects)
    .filter(([name, p]) => p.type === 'application' && name in servicePorts)
    .map(([name, p]) => ({
      name,
      main: path.join(root, 'dist', p.root, 'src', `${p.entryFile ?? 'main'}.js`),
      port: servicePorts[name] ?? 0,
    }))
    .filter((s) => existsSync(s.main));
}

/** The principal each app runs as on a secured stack (docs/operations.md#principals-and-acls). */
function principalOf(app: string): Principal {
  if (app === 'materializer') return 'materializer';
  if (app === 'query-api') return 'queryApi';
  if (app === 'ingest-gateway') return 'producer';
  return 'connector';
}

/** An app's Kafka settings: on a stack made with --brokers 3 or --secure, its brokers and its own principal. */
function kafkaEnvOf(app: string, mode: KafkaMode | undefined): Record<string, string> {
  if (mode === undefined || (mode.brokers === 1 && !mode.secure)) return {};
  return principalEnv(devStack, principalOf(app), mode);
}

async function main(): Promise<void> {
  await build();
  await run(process.execPath, ['scripts/stack.mts', 'up']);
  const mode = savedMode(devStack);
  // Topics, schemas and migrations as the admin principal (and three replicas on three brokers).
  await prepareStack({
    ...process.env,
    ...(mode !== undefined && (mode.secure || mode.brokers > 1) ? principalEnv(devStack, 'admin', mode) : {}),
    ...(mode !== undefined && mode.brokers > 1 ? { VIGIL_TOPIC_REPLICATION_FACTOR: '3' } : {}),
  });
  const connectorsFile = path.resolve(root, process.env['VIGIL_CONFIG'] ?? 'vigil.config.yaml');
  const haveConnectors = existsSync(connectorsFile);
  const apps = services().filter((app) => haveConnectors || !app.name.startsWith('connector-'));
  if (!haveConnectors) {
    log(
      `no ${path.relative(root, connectorsFile)}: the connector apps are not started (copy vigil.config.example.yaml; docs/connectors.md)`,
    );
  }
  const children: ChildProcess[] = [];
  for (const app of apps) {
    const child = spawn(process.execPath, ['--enable-source-maps', app.main], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        ...kafkaEnvOf(app.name, mode),
        PORT: process.env[`${app.name.toUpperCase().replaceAll('-', '_')}_PORT`] ?? String(app.port),
      },
    });
    child.on('exit', (code, signal) => log(`${app.name} exited (${signal ?? `code ${String(code)}`})`));
    children.push(child);
  }
  const lines = [
    '',
    'Vigil is running.',
    `  Kafka            ${mode?.secure === true ? `${kafkaEnvOf('materializer', mode)['KAFKA_BROKERS'] ?? ''} (SASL_SSL; for the CLI: source .stack/secure/vigil-operator.env)` : devStack.kafkaBrokers}`,
    `  Schema registry  ${devStack.schemaRegistryUrl}`,
    `  PostgreSQL       ${new URL(devStack.databaseUrl).host}${new URL(devStack.databaseUrl).pathname}`,
    ...apps.map((a) => `  ${a.name.padEnd(16)} http://127.0.0.1:${a.port}  (/health, /metrics)`),
    ...(apps.length === 0 ? ['  (no service apps are built yet; the stack is up)'] : []),
    ...(apps.some((a) => a.name === 'query-api')
      ? [
          `  Audit console    http://127.0.0.1:${apps.find((a) => a.name === 'query-api')?.port ?? 4000}/console/  (sign in with a key: npm run vigil -- apikeys create --tenant <id> --role analyst)`,
        ]
      : []),
    '  CLI              npm run vigil -- --help',
    '',
    'Ctrl-C stops the apps; `npm run stack:down` stops Kafka and the registry.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const stop = (): void => {
    log('stopping apps');
    for (const child of children) child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (children.length === 0) {
    // Nothing to supervise: stay in the foreground like the apps would, until Ctrl-C.
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    return;
  }
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
}

main().catch((err: unknown) => {
  log(err instanceof ScriptError ? err.message : String(err));
  process.exitCode = 1;
});
