import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { ConfigModule, databaseEnv, defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { KafkaHealthIndicator, KafkaModule, SchemaRegistryHealthIndicator } from '@vigil/kafka';
import { ObservabilityModule } from '@vigil/observability';
import { DatabaseModule, PostgresHealthIndicator } from '@vigil/store';
import { requireStack, testEnv } from '@vigil/testing';

const schema = defineConfig({ ...kafkaEnv, ...registryEnv, ...databaseEnv, ...httpEnv(0), ...logEnv });

async function startApp(env: Record<string, string>): Promise<{ app: INestApplication; base: string }> {
  @Module({
    imports: [
      ConfigModule.forRoot(schema, env),
      ObservabilityModule.forRoot({
        name: 'health-test',
        readiness: [KafkaHealthIndicator, SchemaRegistryHealthIndicator, PostgresHealthIndicator],
      }),
      KafkaModule,
      DatabaseModule,
    ],
  })
  class HealthTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HealthTestModule] }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

describe('health and metrics endpoints', () => {
  const env = {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: testEnv.databaseUrl,
    LOG_LEVEL: 'warn',
  };
  let healthy: { app: INestApplication; base: string };

  before(async () => {
    await requireStack();
    healthy = await startApp(env);
  });
  after(async () => {
    await healthy.app.close();
  });

  it('reports ready when Kafka, the registry and PostgreSQL answer', async () => {
    const res = await fetch(`${healthy.base}/health/ready`);
    const body = (await res.json()) as { status: string; info: Record<string, { status: string }> };
    assert.equal(res.status, 200);
    assert.equal(body.status, 'ok');
    assert.deepEqual(Object.keys(body.info).sort(), ['kafka', 'postgres', 'schemaRegistry']);
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${healthy.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await res.text(), /^vigil_process_cpu_user_seconds_total /m);
  });

  it('reports not ready, naming the dependency, while liveness stays up when Kafka is unreachable', async () => {
    const broken = await startApp({ ...env, KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'fatal' });
    try {
      const ready = await fetch(`${broken.base}/health/ready`);
      const body = (await ready.json()) as { status: string; error: Record<string, { status: string; message?: string }> };
      assert.equal(ready.status, 503);
      assert.equal(body.status, 'error');
      assert.deepEqual(Object.keys(body.error), ['kafka']);
      const live = await fetch(`${broken.base}/health/live`);
      assert.equal(live.status, 200);
    } finally {
      await broken.app.close();
    }
  });
});
