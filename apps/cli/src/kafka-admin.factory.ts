import type { Admin, Kafka } from 'kafkajs';
import { createKafka, RegistryHttpClient } from '@vigil/kafka';
import { createLogger } from '@vigil/observability';
import type { CliConfig } from './cli.config';
import { CliError } from './cli.util';

export function cliKafka(config: CliConfig): Kafka {
  return createKafka(
    { brokers: config.KAFKA_BROKERS, clientId: 'vigil-cli', overrides: { retry: { retries: 2 }, connectionTimeout: 3000 } },
    createLogger('vigil-cli', config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL),
  );
}

export function cliRegistry(config: CliConfig): RegistryHttpClient {
  return new RegistryHttpClient({
    url: config.SCHEMA_REGISTRY_URL,
    username: config.SCHEMA_REGISTRY_USERNAME,
    password: config.SCHEMA_REGISTRY_PASSWORD,
  });
}

/** Runs work with a connected admin client; an unreachable broker becomes an error that says what to do. */
export async function withKafkaAdmin<T>(config: CliConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = cliKafka(config).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new CliError(
      `Kafka is not reachable at ${config.KAFKA_BROKERS.join(',')} (${(err as Error).message}). Start it with \`npm run stack:up\` or set KAFKA_BROKERS.`,
    );
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
