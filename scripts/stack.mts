// `npm run stack:up | stack:down | stack:status`: the local stack without Docker.
// Kafka 3.9 (KRaft, one node) and Apicurio Registry (Confluent ccompat API, storage in PostgreSQL)
// run from jars Maven resolves from Maven Central (stack/pom.xml); PostgreSQL is the machine's own.
// `up` is idempotent; `down` stops only the processes whose pid files `up` wrote.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { firstBroker, registryAddress, registryServerBase, stackEnv } from './lib/env.mts';
import { ScriptError, commandLine, isAlive, log, root, run, sleep, tail, waitUntil } from './lib/proc.mts';

const KAFKA_VERSION = '3.9.1';
const APICURIO_VERSION = '3.0.9';
const cacheDir = path.join(root, '.cache');
const stateDir = path.join(root, '.stack');
const kafkaLibs = path.join(cacheDir, 'kafka', KAFKA_VERSION, 'libs');
const apicurioDir = path.join(cacheDir, 'apicurio', APICURIO_VERSION);
const apicurioJar = path.join(apicurioDir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
const kafkaDataDir = path.join(stateDir, 'kafka', 'data');
const logsDir = path.join(stateDir, 'logs');
const kafkaLog = path.join(logsDir, 'kafka.log');
const kafkaStdout = path.join(logsDir, 'kafka.out');
const registryLog = path.join(logsDir, 'registry.log');
const registryDatabase = 'vigil_registry';

type State = 'running' | 'external' | 'stopped';

function pidFile(name: string): string {
  return path.join(stateDir, `${name}.pid`);
}

/** The pid `up` recorded for a service, if that process still runs and is still ours. */
function ownedPid(name: string, marker: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid).includes(marker)) return pid;
  rmSync(file, { force: true });
  return undefined;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: host === 'localhost' ? '127.0.0.1' : host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function spawnDetached(name: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): number {
  mkdirSync(logsDir, { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  if (child.pid === undefined) throw new ScriptError(`could not start ${name} (${cmd})`);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

async function stopPid(name: string, pid: number): Promise<void> {
  log(`stopping ${name} (pid ${pid})`);
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  if (!(await waitUntil(() => Promise.resolve(!isAlive(pid)), 30_000, 250))) {
    log(`${name} did not stop within 30 s; killing it`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
    await waitUntil(() => Promise.resolve(!isAlive(pid)), 5_000, 100);
  }
  rmSync(pidFile(name), { force: true });
}

// ---------------------------------------------------------------- Maven downloads

async function ensureKafkaJars(): Promise<void> {
  if (existsSync(path.join(kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  log(`downloading Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)`);
  rmSync(kafkaLibs, { recursive: true, force: true });
  await run('mvn', [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-f',
    'stack/pom.xml',
    'dependency:copy-dependencies',
    `-Dkafka.version=${KAFKA_VERSION}`,
    `-DoutputDirectory=${kafkaLibs}`,
    '-DincludeScope=runtime',
  ]);
}

async function ensureApicurio(): Promise<void> {
  if (existsSync(apicurioJar)) return;
  log(`downloading Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only)`);
  rmSync(apicurioDir, { recursive: true, force: true });
  mkdirSync(apicurioDir, { recursive: true });
  // Run outside any project: the assembly's parent pom is not published for every release, and a
  // project build would insist on reading it. Standalone, Maven fetches just the artifact.
  await run(
    'mvn',
    [
      '-B',
      '-q',
      '-Dstyle.color=never',
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${apicurioDir}`,
    ],
    { cwd: apicurioDir },
  );
  const archive = path.join(apicurioDir, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  await run('tar', ['xzf', archive, '-C', apicurioDir]);
  rmSync(archive);
  if (!existsSync(apicurioJar)) throw new ScriptError(`the Apicurio assembly has no ${path.basename(apicurioJar)}`);
}

// ---------------------------------------------------------------- PostgreSQL

async function ensureDatabases(): Promise<void> {
  const admin = new URL(stackEnv.databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new ScriptError(
      `PostgreSQL is not reachable at ${admin.host} (${(err as Error).message}).\n` +
        "  Start the machine's server (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start),\n" +
        '  or install PostgreSQL 15+ (apt-get install postgresql), or point DATABASE_URL at a server you run.',
    );
  }
  try {
    const wanted = [new URL(stackEnv.databaseUrl).pathname.slice(1), new URL(stackEnv.testDatabaseUrl).pathname.slice(1), registryDatabase];
    for (const name of new Set(wanted)) {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
        log(`created database ${name}`);
      }
    }
  } finally {
    await client.end();
  }
}

async function postgresState(): Promise<string> {
  const client = new pg.Client({ connectionString: stackEnv.databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const v = await client.query<{ server_version: string }>('SHOW server_version');
    return `ready (${v.rows[0]?.server_version ?? '?'})`;
  } catch (err) {
    return `not reachable: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- Kafka

/** True when a real Kafka metadata request succeeds. */
async function kafkaReady(): Promise<boolean> {
  const kafka = new kafkajs.Kafka({
    clientId: 'vigil-stack',
    brokers: stackEnv.kafkaBrokers.split(','),
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function kafkaClasspath(): string {
  return readdirSync(kafkaLibs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(kafkaLibs, f))
    .join(path.delimiter);
}

async function startKafka(): Promise<void> {
  const broker = firstBroker();
  if (ownedPid('kafka', 'kafka.Kafka') !== undefined) {
    log('kafka: already running');
    return;
  }
  if (await portOpen(broker.host, broker.port)) {
    if (await kafkaReady()) {
      log(`kafka: a broker already answers at ${stackEnv.kafkaBrokers}; using it`);
      return;
    }
    throw new ScriptError(`port ${broker.port} is taken by something that is not a Kafka broker; free it or set KAFKA_BROKERS`);
  }
  if (!broker.local) throw new ScriptError(`no Kafka broker answers at ${stackEnv.kafkaBrokers} (KAFKA_BROKERS), and it is not local`);
  await ensureKafkaJars();
  const configFile = path.join(stateDir, 'kafka', 'server.properties');
  const template = readFileSync(path.join(root, 'stack', 'kafka', 'server.properties'), 'utf8');
  mkdirSync(kafkaDataDir, { recursive: true });
  writeFileSync(
    configFile,
    template
      .replaceAll('${DATA_DIR}', kafkaDataDir)
      .replaceAll('${BROKER_PORT}', String(broker.port))
      .replaceAll('${CONTROLLER_PORT}', String(broker.port + 1)),
  );
  const cp = kafkaClasspath();
  const jvm = [
    '-cp',
    cp,
    `-Dkafka.logs.dir=${logsDir}`,
    `-Dlog4j.configuration=file:${path.join(root, 'stack', 'kafka', 'log4j.properties')}`,
  ];
  if (!existsSync(path.join(kafkaDataDir, 'meta.properties'))) {
    // Kafka's cluster ids are 16 random bytes in base64url; one starting with '-' would be read as an option.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    log(`kafka: formatting storage (cluster id ${clusterId})`);
    await run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, '--ignore-formatted'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const heap = process.env['KAFKA_HEAP_OPTS'] ?? '-Xms256m -Xmx1g';
  const pid = spawnDetached(
    'kafka',
    'java',
    [...heap.split(' '), '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvm, 'kafka.Kafka', configFile],
    kafkaStdout,
    process.env,
  );
  log(`kafka: starting (pid ${pid}), waiting for a metadata response on ${stackEnv.kafkaBrokers}`);
  const ok = await waitUntil(async () => isAlive(pid) && (await kafkaReady()), 90_000, 1000);
  if (!ok) {
    const alive = isAlive(pid);
    if (alive) await stopPid('kafka', pid);
    rmSync(pidFile('kafka'), { force: true });
    throw new ScriptError(
      `Kafka did not become ready within 90 s (${alive ? 'still starting' : 'the process exited'}).\n` +
        `--- last lines of ${path.relative(root, kafkaLog)} ---\n${tail(kafkaLog)}\n--- ${path.relative(root, kafkaStdout)} ---\n${tail(kafkaStdout, 15)}`,
    );
  }
  log('kafka: ready');
}

// ---------------------------------------------------------------- Schema registry

async function registryReady(): Promise<boolean> {
  try {
    const health = await fetch(`${registryServerBase()}/health/ready`, { signal: AbortSignal.timeout(2000) });
    if (!health.ok) return false;
    const subjects = await fetch(`${stackEnv.schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(2000) });
    return subjects.ok;
  } catch {
    return false;
  }
}

async function startRegistry(): Promise<void> {
  const { url, local } = registryAddress();
  if (ownedPid('registry', 'apicurio-registry-app') !== undefined) {
    log('registry: already running');
    return;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (await portOpen(url.hostname, port)) {
    if (await registryReady()) {
      log(`registry: a schema registry already answers at ${stackEnv.schemaRegistryUrl}; using it`);
      return;
    }
    throw new ScriptError(`port ${port} is taken by something that is not a schema registry; free it or set SCHEMA_REGISTRY_URL`);
  }
  if (!local)
    throw new ScriptError(`no schema registry answers at ${stackEnv.schemaRegistryUrl} (SCHEMA_REGISTRY_URL), and it is not local`);
  await ensureApicurio();
  const db = new URL(stackEnv.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QUARKUS_HTTP_HOST: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
    QUARKUS_HTTP_PORT: String(port),
    // Schemas live in PostgreSQL so their ids survive restarts, exactly like the Kafka data that refers to them.
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: `jdbc:postgresql://${db.host}/${registryDatabase}`,
    APICURIO_DATASOURCE_USERNAME: decodeURIComponent(db.username || 'postgres'),
    APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(db.password),
    // Apicurio keeps 20 connections open by default (min-size 20): a second stack (tests) would take 40 of
    // PostgreSQL's 100 for a registry that serves a handful of lookups. 2 to 10 is plenty.
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
    QUARKUS_LOG_CONSOLE_JSON: 'false',
  };
  const heap = process.env['REGISTRY_HEAP_OPTS'] ?? '-Xms128m -Xmx512m';
  const pid = spawnDetached('registry', 'java', [...heap.split(' '), '-jar', apicurioJar], registryLog, env);
  log(`registry: starting Apicurio Registry (pid ${pid}) on ${stackEnv.schemaRegistryUrl}`);
  const ok = await waitUntil(async () => isAlive(pid) && (await registryReady()), 90_000, 1000);
  if (!ok) {
    const alive = isAlive(pid);
    if (alive) await stopPid('registry', pid);
    rmSync(pidFile('registry'), { force: true });
    throw new ScriptError(
      `The schema registry did not become ready within 90 s.\n--- last lines of ${path.relative(root, registryLog)} ---\n${tail(registryLog)}`,
    );
  }
  log('registry: ready');
}

// ---------------------------------------------------------------- commands

async function up(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  await ensureDatabases();
  log('postgres: ready');
  await startKafka();
  await startRegistry();
  await status();
}

async function down(): Promise<void> {
  const registry = ownedPid('registry', 'apicurio-registry-app');
  if (registry !== undefined) await stopPid('registry', registry);
  const kafka = ownedPid('kafka', 'kafka.Kafka');
  if (kafka !== undefined) await stopPid('kafka', kafka);
  if (registry === undefined && kafka === undefined) log('nothing that stack:up started is running');
  else log('stack stopped');
}

async function state(name: string, marker: string, ready: () => Promise<boolean>): Promise<{ state: State; ready: boolean; pid?: number }> {
  const pid = ownedPid(name, marker);
  const isReady = await ready();
  if (pid !== undefined) return { state: 'running', ready: isReady, pid };
  return { state: isReady ? 'external' : 'stopped', ready: isReady };
}

async function status(): Promise<boolean> {
  const kafka = await state('kafka', 'kafka.Kafka', kafkaReady);
  const registry = await state('registry', 'apicurio-registry-app', registryReady);
  const pgState = await postgresState();
  const describe = (s: { state: State; ready: boolean; pid?: number }): string =>
    s.state === 'running'
      ? `running (pid ${s.pid ?? '?'}), ${s.ready ? 'ready' : 'NOT ready'}`
      : s.state === 'external'
        ? 'ready (not started by stack:up)'
        : 'stopped';
  process.stdout.write(
    [
      `kafka      ${stackEnv.kafkaBrokers.padEnd(45)} ${describe(kafka)}`,
      `registry   ${stackEnv.schemaRegistryUrl.padEnd(45)} ${describe(registry)}`,
      `postgres   ${new URL(stackEnv.databaseUrl).host.padEnd(45)} ${pgState}`,
      `logs       ${path.relative(root, logsDir)}/`,
      '',
    ].join('\n'),
  );
  return kafka.ready && registry.ready && pgState.startsWith('ready');
}

async function main(): Promise<void> {
  const command = process.argv[2];
  switch (command) {
    case 'up':
      await up();
      return;
    case 'down':
      await down();
      return;
    case 'status':
      if (!(await status())) process.exitCode = 1;
      return;
    default:
      process.stderr.write('usage: node scripts/stack.mts up|down|status\n');
      process.exitCode = 2;
  }
}

main().catch(async (err: unknown) => {
  log(err instanceof ScriptError ? err.message : String((err as Error).stack ?? err));
  await sleep(0);
  process.exitCode = 1;
});
