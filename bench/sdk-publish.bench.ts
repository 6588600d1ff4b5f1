// SDK publish throughput (validation, Avro, batching, acks=-1) against raw kafkajs sendBatch of
// equally sized JSON messages, in the same run and on the same topic configuration.
// Goal (issue 3): at least 0.6x raw and at least 10,000 events/s on the 2-core machine.
import pino from 'pino';
import { AuditPublisher, type AuditEventInput } from '@vigil/audit-sdk';
import { createRawKafka, createRawProducer } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { machine, secondsSince, writeReport } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
const TENANTS = 50;

function input(i: number, tenant: string): AuditEventInput {
  return {
    action: 'user.login.failed',
    tenantId: `${tenant}-${i % TENANTS}`,
    actor: { id: `user-${i % 5000}`, name: `user${i % 5000}@example.com`, roles: ['analyst'] },
    client: { ip: `203.0.113.${i % 250}`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    http: { method: 'POST', url: '/api/login', statusCode: 401 },
    correlationId: `req-${i}`,
    payload: { authMethod: 'password', failureReason: 'bad password', failedAttempts: (i % 5) + 1 },
    attributes: { attempt: i % 5, region: 'eu-west-1' },
  };
}

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const startedAt = new Date().toISOString();
  const tenant = uniqueName('bench');
  const rawTopic = uniqueName('bench-raw');
  await admin.createTopics({ topics: [{ topic: rawTopic, numPartitions: 6 }], waitForLeaders: true });

  // The SDK, as a service would use it: concurrent publish() calls, each resolving after the ack.
  const publisher = new AuditPublisher({
    kafka: { client: kafka },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench', version: '1.0.0' },
    logger,
  });
  await publisher.publish(input(0, tenant)); // connect and cache the schema id outside the clock
  let sdkBytes = 0;
  const sdkStart = process.hrtime.bigint();
  const events = await Promise.all(Array.from({ length: EVENTS }, (_, i) => publisher.publish(input(i, tenant))));
  const sdkSeconds = secondsSince(sdkStart);
  await publisher.close();

  // Raw kafkajs: the same complete events as JSON, batches of 1,000, the same producer settings.
  const json = events.map((e) => Buffer.from(JSON.stringify(e)));
  for (const b of json) sdkBytes += b.length;
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const rawStart = process.hrtime.bigint();
  for (let i = 0; i < json.length; i += 1000) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: rawTopic, messages: json.slice(i, i + 1000).map((value, j) => ({ key: events[i + j]?.tenantId ?? '', value })) },
      ],
    });
  }
  const rawSeconds = secondsSince(rawStart);
  await producer.disconnect();
  await admin.deleteTopics({ topics: [rawTopic] }).catch(() => undefined);
  await admin.disconnect();

  const sdkRate = EVENTS / sdkSeconds;
  const rawRate = EVENTS / rawSeconds;
  writeReport({
    bench: 'sdk-publish',
    startedAt,
    machine: machine(),
    parameters: { events: EVENTS, tenants: TENANTS, jsonBytesPerEvent: Math.round(sdkBytes / EVENTS), rawBatch: 1000 },
    measurements: [
      { name: 'SDK publish (validate + Avro + batch, acks=-1)', value: sdkRate, unit: 'events/s', extra: { seconds: sdkSeconds } },
      { name: 'raw kafkajs sendBatch (JSON, batches of 1,000)', value: rawRate, unit: 'msg/s', extra: { seconds: rawSeconds } },
    ],
    ratios: { 'SDK / raw kafkajs': sdkRate / rawRate },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
