import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export interface SchemaRegistryOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

/** A Confluent-API schema registry client (Apicurio's ccompat API locally). Schema ids are cached by the client. */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const auth = options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined;
  return new SchemaRegistry({ host: options.url, ...(auth ? { auth } : {}), clientId: 'vigil', retry: { retries: 3 } });
}
