// SDK publish throughput (validation, Avro, batching, acks=-1) against raw kafkajs producing the very same records
// (the SDK's Avro values, keys and headers, batches of 1,000) with the same number of requests in flight, in the
// same run and on the same topic configuration: what the SDK costs over Kafka itself.
// Goals (issue 18): at least 50,000 events/s, and at least 0.9x raw produce at the same concurrency.
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { EventCodec } from '@vigil/events';
import { createRawKafka, createRawProducer, RegistryHttpClient } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { BENCH_TENANTS, benchInput } from './lib/bench-event.factory';
import { machine, secondsSince, writeReport } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
/** Produce requests in flight, for the SDK (batch.maxInFlight, its default) and the raw baseline alike. */
const IN_FLIGHT = benchEnv().BENCH_IN_FLIGHT ?? 3;

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
    batch: { maxInFlight: IN_FLIGHT },
    logger,
  });
  await publisher.publish(benchInput(0, tenant)); // connect and cache the schema id outside the clock
  const sdkStart = process.hrtime.bigint();
  const events = await Promise.all(Array.from({ length: EVENTS }, (_, i) => publisher.publish(benchInput(i, tenant))));
  const sdkSeconds = secondsSince(sdkStart);
  await publisher.close();

  // Raw kafkajs: the SDK's own records (Avro value, tenant key, event id header), encoded outside the clock, in
  // batches of 1,000 with IN_FLIGHT requests at a time, acks=-1, one topic as the SDK's events all share one.
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'register' });
  const schemaId = await codec.schemaId('authentication');
  const records = events.map((e) => ({ key: e.tenantId, value: codec.encodeWithId(schemaId, e), headers: { 'vigil-event-id': e.id } }));
  const avroBytes = records.reduce((n, r) => n + r.value.length, 0);
  const producer = createRawProducer(kafka, { idempotent: false, maxInFlightRequests: IN_FLIGHT });
  await producer.connect();
  let next = 0;
  const rawStart = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < records.length) {
        const from = next;
        next += 1000;
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: rawTopic, messages: records.slice(from, from + 1000) }] });
      }
    }),
  );
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
    parameters: {
      events: EVENTS,
      tenants: BENCH_TENANTS,
      avroBytesPerEvent: Math.round(avroBytes / EVENTS),
      rawBatch: 1000,
      inFlight: IN_FLIGHT,
    },
    measurements: [
      { name: 'SDK publish (validate + Avro + batch, acks=-1)', value: sdkRate, unit: 'events/s', extra: { seconds: sdkSeconds } },
      {
        name: `raw kafkajs produce, same records, ${IN_FLIGHT} in flight`,
        value: rawRate,
        unit: 'msg/s',
        extra: { seconds: rawSeconds },
      },
    ],
    ratios: { 'SDK / raw produce at the same concurrency': sdkRate / rawRate },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
