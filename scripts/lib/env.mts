// Service addresses for the developer scripts: the same variables and defaults the apps use.
export const stackEnv = {
  kafkaBrokers: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
  schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil',
  testDatabaseUrl: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/vigil_test',
};

const localHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Host and port of the first broker, and whether it is one this machine should run. */
export function firstBroker(): { host: string; port: number; local: boolean } {
  const first = stackEnv.kafkaBrokers.split(',')[0]?.trim() ?? '';
  const idx = first.lastIndexOf(':');
  const host = idx > 0 ? first.slice(0, idx) : first;
  const port = idx > 0 ? Number(first.slice(idx + 1)) : 9092;
  return { host, port, local: localHosts.has(host) };
}

export function registryAddress(): { url: URL; local: boolean } {
  const url = new URL(stackEnv.schemaRegistryUrl);
  return { url, local: localHosts.has(url.hostname) };
}

/** The base URL of the registry server (ccompat path stripped), for its health endpoint. */
export function registryServerBase(): string {
  const { url } = registryAddress();
  return `${url.protocol}//${url.host}`;
}
