import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigException } from './config.exception';
import { defineConfig, loadConfig } from './config.loader';
import { databaseEnv, kafkaEnv, registryEnv } from './config.schema';
import { kafkaConnectionOf, kafkaSecurityOf, registryConnectionOf } from './connection-security.util';

const schema = defineConfig({ ...kafkaEnv, ...registryEnv, ...databaseEnv });
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tls-'));
const ca = path.join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const notPem = path.join(dir, 'ca.txt');
writeFileSync(notPem, 'hello');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigException, String(err));
    return [...err.problems];
  }
  assert.fail('expected a ConfigException');
}

describe('kafkaSecurityOf', () => {
  it('is PLAINTEXT with nothing set, as the local stack runs', () => {
    assert.deepEqual(kafkaConnectionOf(loadConfig(schema, {}), 'app'), { brokers: ['127.0.0.1:9092'], clientId: 'app', security: {} });
  });

  it('maps SASL_SSL with SCRAM-SHA-512 and a private CA onto TLS and SASL settings', () => {
    const config = loadConfig(schema, {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SASL_USERNAME: 'vigil-materializer',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    const security = kafkaSecurityOf(config);
    assert.equal(security.ssl?.ca?.startsWith('-----BEGIN CERTIFICATE-----'), true);
    assert.equal(security.ssl?.rejectUnauthorized, true);
    assert.deepEqual(security.sasl, { mechanism: 'scram-sha-512', username: 'vigil-materializer', password: 's3cret' });
  });

  it('takes PLAIN for managed services, and TLS without certificate checks only when asked', () => {
    const config = loadConfig(schema, {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'key',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_SSL_VERIFY: 'false',
    });
    const security = kafkaSecurityOf(config);
    assert.equal(security.sasl?.mechanism, 'plain');
    assert.deepEqual(security.ssl, { rejectUnauthorized: false });
  });

  it('names every missing or stray setting, and never echoes the password', () => {
    const missing = problemsOf(() => kafkaSecurityOf(loadConfig(schema, { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })));
    assert.deepEqual(missing, [
      'KAFKA_SASL_USERNAME: is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'KAFKA_SASL_PASSWORD: is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
    ]);
    const stray = problemsOf(() =>
      kafkaSecurityOf(loadConfig(schema, { KAFKA_SSL_CA_FILE: ca, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' })),
    );
    assert.equal(stray.length, 2);
    assert.match(stray[0] ?? '', /KAFKA_SSL_CA_FILE: set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS/);
    assert.ok(!stray.join('\n').includes('hunter2'));
  });

  it('refuses unreadable and non-PEM files, and half a client certificate', () => {
    const problems = problemsOf(() =>
      kafkaSecurityOf(
        loadConfig(schema, {
          KAFKA_SECURITY_PROTOCOL: 'SSL',
          KAFKA_SSL_CA_FILE: notPem,
          KAFKA_SSL_CERT_FILE: path.join(dir, 'missing.pem'),
        }),
      ),
    );
    assert.deepEqual(problems, [
      `KAFKA_SSL_CA_FILE: ${notPem} holds no PEM block (expected -----BEGIN ...)`,
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: a client certificate needs both (one is set)',
    ]);
  });

  it('refuses an unknown protocol or mechanism at load', () => {
    assert.throws(() => loadConfig(schema, { KAFKA_SECURITY_PROTOCOL: 'TLS' }), /KAFKA_SECURITY_PROTOCOL/);
    assert.throws(() => loadConfig(schema, { KAFKA_SASL_MECHANISM: 'GSSAPI' }), /KAFKA_SASL_MECHANISM/);
  });
});

describe('registryConnectionOf', () => {
  it('trusts a private CA for an https registry', () => {
    const config = loadConfig(schema, { SCHEMA_REGISTRY_URL: 'https://registry:8081', SCHEMA_REGISTRY_CA_FILE: ca });
    assert.equal(registryConnectionOf(config).tls?.ca?.includes('BEGIN CERTIFICATE'), true);
    assert.equal(registryConnectionOf(loadConfig(schema, {})).tls, undefined);
  });

  it('refuses a CA for a plain http registry', () => {
    const problems = problemsOf(() => registryConnectionOf(loadConfig(schema, { SCHEMA_REGISTRY_CA_FILE: ca })));
    assert.deepEqual(problems, ['SCHEMA_REGISTRY_CA_FILE/SCHEMA_REGISTRY_CERT_FILE: set, but SCHEMA_REGISTRY_URL is not https']);
  });
});

describe('DATABASE_URL TLS parameters', () => {
  it('accepts libpq modes with a readable root certificate', () => {
    const url = `postgres://vigil@db:5432/vigil?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
    assert.equal(loadConfig(schema, { DATABASE_URL: url }).DATABASE_URL, url);
  });

  it('refuses an unknown sslmode and a missing root certificate at boot', () => {
    assert.throws(
      () => loadConfig(schema, { DATABASE_URL: 'postgres://db/vigil?sslmode=verify' }),
      /DATABASE_URL: sslmode=verify is not one of disable, prefer, require, verify-ca, verify-full, no-verify/,
    );
    assert.throws(
      () => loadConfig(schema, { DATABASE_URL: 'postgres://db/vigil?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem' }),
      /DATABASE_URL: sslrootcert: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    );
  });
});
