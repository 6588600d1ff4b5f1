import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigException } from './config.exception';
import { defineConfig, loadConfig } from './config.loader';
import { databaseEnv, envBoolean, httpEnv, kafkaEnv, registryEnv } from './config.schema';

const schema = defineConfig({ ...kafkaEnv, ...registryEnv, ...databaseEnv, ...httpEnv(4000), FLAG: envBoolean.default(false) });

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig(schema, {});
    assert.deepEqual(config.KAFKA_BROKERS, ['127.0.0.1:9092']);
    assert.equal(config.SCHEMA_REGISTRY_URL, 'http://127.0.0.1:8081/apis/ccompat/v7');
    assert.equal(config.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/vigil');
    assert.equal(config.PORT, 4000);
    assert.equal(config.FLAG, false);
  });

  it('parses lists, numbers and booleans from strings', () => {
    const config = loadConfig(schema, { KAFKA_BROKERS: 'a:9092, b:9093', PORT: '8080', FLAG: 'yes' });
    assert.deepEqual(config.KAFKA_BROKERS, ['a:9092', 'b:9093']);
    assert.equal(config.PORT, 8080);
    assert.equal(config.FLAG, true);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig(schema, { PORT: '' }).PORT, 4000);
  });

  it('names every bad variable and the rule, without echoing values', () => {
    const secret = 'mysql://user:hunter2@db';
    assert.throws(
      () => loadConfig(schema, { PORT: 'eighty', DATABASE_URL: secret, KAFKA_BROKERS: 'nohostport', FLAG: 'maybe' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigException);
        const names = err.problems.map((p) => p.split(':')[0]);
        assert.deepEqual(names.sort(), ['DATABASE_URL', 'FLAG', 'KAFKA_BROKERS', 'PORT']);
        assert.match(err.message, /DATABASE_URL: expected a URL with scheme postgres or postgresql/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  });

  it('reports a required variable as required', () => {
    const required = defineConfig({ API_TOKEN: z.string().min(1) });
    assert.throws(() => loadConfig(required, {}), /API_TOKEN: is required/);
  });
});
