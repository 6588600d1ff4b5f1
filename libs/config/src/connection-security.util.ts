import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigErrorCode, ConfigException } from './config.exception';

/**
 * TLS settings of one client connection, with PEM contents already read from the files the environment names.
 * Plain data (no kafkajs or undici types), so each client library maps it onto its own options.
 */
export interface TlsSettings {
  /** PEM of the certificate authorities to trust; the system's store when absent. */
  ca?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** False only when KAFKA_SSL_VERIFY=false: the connection is encrypted but the server's certificate is not checked. */
  rejectUnauthorized: boolean;
}

export type SaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';

export interface SaslSettings {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** How a client authenticates to Kafka and encrypts its connections (Kafka's `security.protocol`). */
export interface KafkaSecurity {
  ssl?: TlsSettings;
  sasl?: SaslSettings;
}

/** A readable PEM file, named by a variable. */
const pemFile = z.string().trim().min(1).max(4096);

/** Kafka's own names for the protocols, so an operator's `security.protocol` carries over as it is. */
export const kafkaSecurityEnv = {
  KAFKA_SECURITY_PROTOCOL: z.enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']).default('PLAINTEXT'),
  KAFKA_SSL_CA_FILE: pemFile.optional(),
  KAFKA_SSL_CERT_FILE: pemFile.optional(),
  KAFKA_SSL_KEY_FILE: pemFile.optional(),
  KAFKA_SSL_KEY_PASSWORD: z.string().optional(),
  KAFKA_SSL_VERIFY: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .default(true),
  KAFKA_SASL_MECHANISM: z
    .enum(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'])
    .default('SCRAM-SHA-512')
    .transform((v) => v.toLowerCase() as SaslMechanism),
  KAFKA_SASL_USERNAME: z.string().min(1).max(255).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).max(1024).optional(),
};

/** The variables of `kafkaSecurityEnv` as an app's validated config holds them. */
export type KafkaSecurityConfig = Partial<z.infer<z.ZodObject<typeof kafkaSecurityEnv>>>;

export const registrySecurityEnv = {
  SCHEMA_REGISTRY_CA_FILE: pemFile.optional(),
  SCHEMA_REGISTRY_CERT_FILE: pemFile.optional(),
  SCHEMA_REGISTRY_KEY_FILE: pemFile.optional(),
};

/** The registry's address and the variables of `registrySecurityEnv`, as an app's validated config holds them. */
export type RegistrySecurityConfig = { SCHEMA_REGISTRY_URL: string } & Partial<z.infer<z.ZodObject<typeof registrySecurityEnv>>>;

function readPem(variable: string, file: string | undefined, problems: string[]): string | undefined {
  if (file === undefined) return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('-----BEGIN ')) {
      problems.push(`${variable}: ${file} holds no PEM block (expected -----BEGIN ...)`);
      return undefined;
    }
    return text;
  } catch (err) {
    problems.push(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

function clientCertificate(
  names: { cert: string; key: string },
  certFile: string | undefined,
  keyFile: string | undefined,
  problems: string[],
): Pick<TlsSettings, 'cert' | 'key'> {
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(`${names.cert} and ${names.key}: a client certificate needs both (one is set)`);
    return {};
  }
  const cert = readPem(names.cert, certFile, problems);
  const key = readPem(names.key, keyFile, problems);
  return cert !== undefined && key !== undefined ? { cert, key } : {};
}

/**
 * The Kafka security settings the environment describes, checked as a whole: SASL needs a user and a password, TLS
 * files must be readable PEM, and a setting that the protocol would ignore is an error rather than a silent no-op
 * (a CA file with PLAINTEXT almost always means the protocol was forgotten). Secrets are never echoed.
 */
export function kafkaSecurityOf(config: KafkaSecurityConfig): KafkaSecurity {
  const protocol = config.KAFKA_SECURITY_PROTOCOL ?? 'PLAINTEXT';
  const problems: string[] = [];
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const security: KafkaSecurity = {};
  if (tls) {
    const ca = readPem('KAFKA_SSL_CA_FILE', config.KAFKA_SSL_CA_FILE, problems);
    const client = clientCertificate(
      { cert: 'KAFKA_SSL_CERT_FILE', key: 'KAFKA_SSL_KEY_FILE' },
      config.KAFKA_SSL_CERT_FILE,
      config.KAFKA_SSL_KEY_FILE,
      problems,
    );
    security.ssl = {
      ...(ca !== undefined ? { ca } : {}),
      ...client,
      ...(config.KAFKA_SSL_KEY_PASSWORD !== undefined ? { passphrase: config.KAFKA_SSL_KEY_PASSWORD } : {}),
      rejectUnauthorized: config.KAFKA_SSL_VERIFY ?? true,
    };
  } else {
    const stray = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_KEY_PASSWORD'] as const).filter(
      (k) => config[k] !== undefined,
    );
    if (stray.length > 0)
      problems.push(`${stray.join(', ')}: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (SSL or SASL_SSL)`);
  }
  if (sasl) {
    if (config.KAFKA_SASL_USERNAME === undefined)
      problems.push(`KAFKA_SASL_USERNAME: is required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    if (config.KAFKA_SASL_PASSWORD === undefined)
      problems.push(`KAFKA_SASL_PASSWORD: is required with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    if (config.KAFKA_SASL_USERNAME !== undefined && config.KAFKA_SASL_PASSWORD !== undefined) {
      security.sasl = {
        mechanism: config.KAFKA_SASL_MECHANISM ?? 'scram-sha-512',
        username: config.KAFKA_SASL_USERNAME,
        password: config.KAFKA_SASL_PASSWORD,
      };
    }
  } else if (config.KAFKA_SASL_USERNAME !== undefined || config.KAFKA_SASL_PASSWORD !== undefined) {
    problems.push(
      `KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD: set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not authenticate (SASL_SSL or SASL_PLAINTEXT)`,
    );
  }
  if (problems.length > 0) throw new ConfigException(ConfigErrorCode.INVALID_ENVIRONMENT, problems);
  return security;
}

/** TLS settings for the schema registry's HTTPS connections: a private CA, and a client certificate for mutual TLS. */
export function registryTlsOf(config: RegistrySecurityConfig): TlsSettings | undefined {
  const problems: string[] = [];
  const ca = readPem('SCHEMA_REGISTRY_CA_FILE', config.SCHEMA_REGISTRY_CA_FILE, problems);
  const client = clientCertificate(
    { cert: 'SCHEMA_REGISTRY_CERT_FILE', key: 'SCHEMA_REGISTRY_KEY_FILE' },
    config.SCHEMA_REGISTRY_CERT_FILE,
    config.SCHEMA_REGISTRY_KEY_FILE,
    problems,
  );
  const any = ca !== undefined || client.cert !== undefined;
  if (any && !config.SCHEMA_REGISTRY_URL.startsWith('https:'))
    problems.push('SCHEMA_REGISTRY_CA_FILE/SCHEMA_REGISTRY_CERT_FILE: set, but SCHEMA_REGISTRY_URL is not https');
  if (problems.length > 0) throw new ConfigException(ConfigErrorCode.INVALID_ENVIRONMENT, problems);
  return any ? { ...(ca !== undefined ? { ca } : {}), ...client, rejectUnauthorized: true } : undefined;
}

/** The libpq TLS modes node-postgres understands in DATABASE_URL (`?sslmode=verify-full&sslrootcert=/path/ca.pem`). */
const sslModes = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);

/**
 * Checks DATABASE_URL's TLS parameters at boot instead of at the first query: an unknown `sslmode` would otherwise be
 * ignored by node-postgres, and a missing `sslrootcert` file would fail only when the pool first connects.
 */
export function databaseTlsProblems(databaseUrl: string): string[] {
  const params = new URL(databaseUrl).searchParams;
  const problems: string[] = [];
  const mode = params.get('sslmode');
  if (mode !== null && !sslModes.has(mode)) problems.push(`sslmode=${mode} is not one of ${[...sslModes].join(', ')}`);
  for (const name of ['sslrootcert', 'sslcert', 'sslkey']) {
    const file = params.get(name);
    if (file === null) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return problems;
}

/** Where Kafka is and how to reach it securely, from an app's validated environment (`kafkaEnv`). */
export function kafkaConnectionOf(
  config: KafkaSecurityConfig & { KAFKA_BROKERS: readonly string[] },
  clientId: string,
): { brokers: readonly string[]; clientId: string; security: KafkaSecurity } {
  return { brokers: config.KAFKA_BROKERS, clientId, security: kafkaSecurityOf(config) };
}

/** Where the schema registry is and how to reach it (`registryEnv`). */
export function registryConnectionOf(
  config: RegistrySecurityConfig & { SCHEMA_REGISTRY_USERNAME?: string | undefined; SCHEMA_REGISTRY_PASSWORD?: string | undefined },
): { url: string; username?: string | undefined; password?: string | undefined; tls?: TlsSettings | undefined } {
  return {
    url: config.SCHEMA_REGISTRY_URL,
    username: config.SCHEMA_REGISTRY_USERNAME,
    password: config.SCHEMA_REGISTRY_PASSWORD,
    tls: registryTlsOf(config),
  };
}
