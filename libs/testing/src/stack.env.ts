import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import { z } from 'zod';
import { databaseEnv, defineConfig, kafkaEnv, loadConfig, registryEnv } from '@vigil/config';

/**
 * The variables the integration tests and benchmarks read: the test stack's (npm test starts it on its own ports),
 * never the apps' KAFKA_BROKERS, SCHEMA_REGISTRY_URL or DATABASE_URL, so no test reaches the development stack of a
 * running `npm start`. Defaults match scripts/lib/env.mts.
 */
export const testStackEnvSchema = defineConfig({
  TEST_KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS.unwrap().default(['127.0.0.1:19092']),
  TEST_SCHEMA_REGISTRY_URL: registryEnv.SCHEMA_REGISTRY_URL.unwrap().default('http://127.0.0.1:18081/apis/ccompat/v7'),
  TEST_DATABASE_URL: databaseEnv.DATABASE_URL.unwrap().default('postgres://postgres@127.0.0.1:5432/vigil_test'),
  /** The test stack's OpenSearch node (`npm run stack:up -- test --with opensearch`; `npm test` starts it). */
  TEST_OPENSEARCH_URL: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL')
    .default('http://127.0.0.1:19200'),
  /** Log level of the loggers tests hand to the code under test (silent unless debugging a test). */
  TEST_LOG_LEVEL: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('silent'),
});

const stack = loadConfig(testStackEnvSchema);

/** Addresses of the test stack's real services. */
export const testEnv = {
  kafkaBrokers: stack.TEST_KAFKA_BROKERS,
  schemaRegistryUrl: stack.TEST_SCHEMA_REGISTRY_URL,
  databaseUrl: stack.TEST_DATABASE_URL,
  opensearchUrl: stack.TEST_OPENSEARCH_URL.replace(/\/+$/, ''),
  logLevel: stack.TEST_LOG_LEVEL,
};

/** A name no other test (or earlier run) uses: each test gets its own topics, groups and subjects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function reachable(hostPort: string, timeoutMs: number): Promise<boolean> {
  const idx = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(idx + 1));
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(timeoutMs);
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

/** Fails fast, with the command to run, when a service the test needs is down. */
export async function requireStack(
  services: readonly ('kafka' | 'registry' | 'postgres' | 'opensearch')[] = ['kafka', 'registry', 'postgres'],
): Promise<void> {
  const down: string[] = [];
  for (const service of services) {
    switch (service) {
      case 'kafka': {
        const first = testEnv.kafkaBrokers[0] ?? '127.0.0.1:9092';
        if (!(await reachable(first, 1000))) down.push(`Kafka (${first})`);
        break;
      }
      case 'registry': {
        const url = new URL(testEnv.schemaRegistryUrl);
        if (!(await reachable(`${url.hostname}:${url.port || 80}`, 1000))) down.push(`the schema registry (${testEnv.schemaRegistryUrl})`);
        break;
      }
      case 'postgres': {
        const url = new URL(testEnv.databaseUrl);
        if (!(await reachable(`${url.hostname}:${url.port || 5432}`, 1000))) down.push(`PostgreSQL (${url.host})`);
        break;
      }
      case 'opensearch': {
        const url = new URL(testEnv.opensearchUrl);
        if (!(await reachable(`${url.hostname}:${url.port || 80}`, 1000))) down.push(`OpenSearch (${testEnv.opensearchUrl})`);
        break;
      }
    }
  }
  if (down.length > 0) {
    throw new Error(
      `${down.join(', ')} not reachable. Start the test stack with \`npm run stack:up -- test${services.includes('opensearch') ? ' --with opensearch' : ''}\` (or run \`npm test\`, which starts it).`,
    );
  }
}
