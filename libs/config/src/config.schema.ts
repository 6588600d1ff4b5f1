import { z } from 'zod';
import { databaseTlsProblems, kafkaSecurityEnv, registrySecurityEnv } from './connection-security.util';

/** A comma-separated list of host:port pairs. */
const hostPortList = z
  .string()
  .trim()
  .min(1)
  .transform((value) => value.split(',').map((s) => s.trim()))
  .refine((list) => list.every((hp) => /^[^\s:]+:\d{1,5}$/.test(hp) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(hp)), {
    message: 'expected host:port[,host:port...]',
  });

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}` },
    );

/** Boolean from the usual spellings; anything else is an error rather than false. */
export const envBoolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Building blocks each app composes into its own schema (see `defineConfig`). */
export const kafkaEnv = {
  KAFKA_BROKERS: hostPortList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).max(200).default('vigil'),
  /** TLS and SASL (`kafkaSecurityOf` checks them as a whole; docs/operations.md#security). */
  ...kafkaSecurityEnv,
};

export const registryEnv = {
  SCHEMA_REGISTRY_URL: url(['http:', 'https:']).default('http://127.0.0.1:8081/apis/ccompat/v7'),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  ...registrySecurityEnv,
};

export const databaseEnv = {
  /** TLS as libpq spells it: `?sslmode=verify-full&sslrootcert=/path/ca.pem` (checked at boot). */
  DATABASE_URL: url(['postgres:', 'postgresql:'])
    .superRefine((value, ctx) => {
      if (!URL.canParse(value)) return;
      for (const message of databaseTlsProblems(value)) ctx.addIssue({ code: 'custom', message });
    })
    .default('postgres://postgres@127.0.0.1:5432/vigil'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
};

export const httpEnv = (defaultPort: number) => ({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
});

export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
