import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { TlsSettings } from '@vigil/config';

/** Where an app's schema registry is and how to reach it (`registryConnectionOf`). */
export interface SchemaRegistryOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: TlsSettings | undefined;
}

/**
 * The Confluent project's own registry client, for tests that check Vigil's schemas against it. Vigil's code talks to
 * the registry through `RegistryHttpClient` (compatibility levels, TLS settings).
 */
export function createSchemaRegistry(options: Omit<SchemaRegistryOptions, 'tls'>): SchemaRegistry {
  const auth = options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined;
  return new SchemaRegistry({ host: options.url, ...(auth ? { auth } : {}), clientId: 'vigil', retry: { retries: 3 } });
}
