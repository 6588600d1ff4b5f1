// The two local stacks and their addresses. The development stack (`npm start`, `npm run stack:up`) uses the apps'
// own variables; the test stack (`npm test`, `npm run bench`) has its own Kafka, registry, databases and state
// directory, so a test or a benchmark never writes to the topics, groups or store of a running `npm start`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScriptError, root } from './proc.mts';

export type StackName = 'dev' | 'test' | 'cluster';

export interface StackSpec {
  name: StackName;
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  /** The database the stack's apps (or tests) use; migrations go there. */
  databaseUrl: string;
  /** Every database the stack needs (the registry's storage included). */
  databases: string[];
  /** Apicurio's storage: one per stack, so schema ids of one stack never move under the other. */
  registryDatabase: string;
  /** Pid files, Kafka data and logs. */
  stateDir: string;
  /** The OpenSearch node `up --with opensearch` starts (the Elasticsearch/OpenSearch sink's tests and bench use it). */
  opensearchUrl: string;
  /** The first broker's port; a three-node Kafka adds nodes on the ports after it (scripts/lib/kafka-cluster.mts). */
  kafkaBasePort: number;
  /** How `up` runs Kafka when neither flags nor earlier data say otherwise. */
  defaultKafkaMode: { brokers: number; secure: boolean };
}

const env = process.env;

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function spec(
  name: StackName,
  kafkaBrokers: string,
  schemaRegistryUrl: string,
  databaseUrl: string,
  opensearchUrl: string,
  extra: string[] = [],
  defaultKafkaMode = { brokers: 1, secure: false },
): StackSpec {
  const registryDatabase = `${databaseName(databaseUrl)}_registry`;
  const first = kafkaBrokers.split(',')[0]?.trim() ?? '';
  return {
    kafkaBasePort: Number(first.slice(first.lastIndexOf(':') + 1)) || 9092,
    defaultKafkaMode,
    name,
    kafkaBrokers,
    schemaRegistryUrl,
    databaseUrl,
    databases: [databaseName(databaseUrl), ...extra.map(databaseName), registryDatabase],
    registryDatabase,
    stateDir: path.join(root, name === 'dev' ? '.stack' : `.stack-${name}`),
    opensearchUrl,
  };
}

/** `npm start` and `npm run stack:up`: the same variables and defaults the apps read. */
export const devStack = spec(
  'dev',
  env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
  env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil',
  env['OPENSEARCH_URL'] ?? 'http://127.0.0.1:9200',
);

/** The benchmarks' database on the test stack. */
export const benchDatabaseUrl = env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil_bench';

/** `npm test` and `npm run bench`: TEST_* variables only, never the development stack's. */
export const testStack = spec(
  'test',
  env['TEST_KAFKA_BROKERS'] ?? '127.0.0.1:19092',
  env['TEST_SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
  env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil_test',
  env['TEST_OPENSEARCH_URL'] ?? 'http://127.0.0.1:19200',
  [benchDatabaseUrl],
);

/**
 * `npm run test:cluster` and `npm run chaos`: three brokers with SASL_SSL, SCRAM users and ACLs, on ports and
 * databases of their own, so neither disturbs a running `npm start` or `npm test`.
 */
export const clusterStack = spec(
  'cluster',
  env['CLUSTER_KAFKA_BROKERS'] ?? '127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096',
  env['CLUSTER_SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:28081/apis/ccompat/v7',
  env['CLUSTER_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil_cluster',
  env['CLUSTER_OPENSEARCH_URL'] ?? 'http://127.0.0.1:29200',
  [],
  { brokers: 3, secure: true },
);

export const stacks: Record<StackName, StackSpec> = { dev: devStack, test: testStack, cluster: clusterStack };

/** Refuses a configuration where the test stack would share a broker, a registry or a database with the development one. */
export function assertStacksApart(): void {
  const shared: string[] = [];
  if (firstBroker(devStack).port === firstBroker(testStack).port) shared.push(`Kafka port ${firstBroker(devStack).port}`);
  if (registryAddress(devStack).url.host === registryAddress(testStack).url.host)
    shared.push(`registry ${registryAddress(devStack).url.host}`);
  for (const db of testStack.databases) if (devStack.databases.includes(db)) shared.push(`database ${db}`);
  if (new URL(devStack.opensearchUrl).host === new URL(testStack.opensearchUrl).host)
    shared.push(`OpenSearch ${new URL(devStack.opensearchUrl).host}`);
  if (shared.length > 0)
    throw new ScriptError(
      `the test stack would share ${shared.join(', ')} with the development stack: set TEST_KAFKA_BROKERS, TEST_SCHEMA_REGISTRY_URL, TEST_DATABASE_URL, BENCH_DATABASE_URL or TEST_OPENSEARCH_URL apart (docs/operations.md)`,
    );
}

/** The environment without Kafka security settings (a shell that sourced a `<principal>.env` has them). */
export function withoutKafkaSecurity(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(source).filter(([k]) => !/^KAFKA_(SECURITY_PROTOCOL|SASL_|SSL_)/.test(k)));
}

/**
 * The environment of a process that works on the test stack: the apps' variables point at it too, so an app or a
 * CLI a test spawns with the inherited environment can never reach the development stack.
 */
export function testStackEnv(databaseUrl = testStack.databaseUrl): NodeJS.ProcessEnv {
  return {
    ...withoutKafkaSecurity(env),
    TEST_KAFKA_BROKERS: testStack.kafkaBrokers,
    TEST_SCHEMA_REGISTRY_URL: testStack.schemaRegistryUrl,
    TEST_DATABASE_URL: databaseUrl,
    TEST_OPENSEARCH_URL: testStack.opensearchUrl,
    KAFKA_BROKERS: testStack.kafkaBrokers,
    SCHEMA_REGISTRY_URL: testStack.schemaRegistryUrl,
    DATABASE_URL: databaseUrl,
  };
}

const localHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether a host is this machine (a service there is one `stack:up` may start). */
export function isLocalHost(host: string): boolean {
  return localHosts.has(host);
}

/** Host and port of the stack's first broker, and whether it is one this machine should run. */
export function firstBroker(stack: StackSpec): { host: string; port: number; local: boolean } {
  const first = stack.kafkaBrokers.split(',')[0]?.trim() ?? '';
  const idx = first.lastIndexOf(':');
  const host = idx > 0 ? first.slice(0, idx) : first;
  const port = idx > 0 ? Number(first.slice(idx + 1)) : 9092;
  return { host, port, local: localHosts.has(host) };
}

export function registryAddress(stack: StackSpec): { url: URL; local: boolean } {
  const url = new URL(stack.schemaRegistryUrl);
  return { url, local: localHosts.has(url.hostname) };
}

/** The base URL of the registry server (ccompat path stripped), for its health endpoint. */
export function registryServerBase(stack: StackSpec): string {
  const { url } = registryAddress(stack);
  return `${url.protocol}//${url.host}`;
}

/**
 * The environment of a process that works on the cluster stack as `principal` (its `<principal>.env`): the TEST_*
 * addresses point at the cluster too, so the test utilities (stores, registry) use its database and registry.
 */
export function clusterStackEnv(principal: string): NodeJS.ProcessEnv {
  const secure = path.join(clusterStack.stateDir, 'secure');
  const vars = JSON.parse(readFileSync(path.join(secure, `${principal}.json`), 'utf8')) as Record<string, string>;
  const brokers = vars['KAFKA_BROKERS'] ?? clusterStack.kafkaBrokers;
  return {
    ...env,
    ...vars,
    CLUSTER_SECURE_DIR: secure,
    TEST_KAFKA_BROKERS: brokers,
    TEST_SCHEMA_REGISTRY_URL: clusterStack.schemaRegistryUrl,
    TEST_DATABASE_URL: clusterStack.databaseUrl,
    SCHEMA_REGISTRY_URL: clusterStack.schemaRegistryUrl,
    DATABASE_URL: clusterStack.databaseUrl,
  };
}
