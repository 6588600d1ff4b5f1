// The first baseline: raw kafkajs produce and consume throughput against the local broker,
// 1 KiB messages in batches of 1,000. Later benchmarks report ratios against these figures
// measured in the same run, because the machines are noisy.
import pino from 'pino';
import { createRawKafka } from '@vigil/kafka';
import { benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { measureKafkaBaseline } from './lib/kafka-baseline.util';
import { machine, writeReport } from './lib/report.util';

async function main(): Promise<void> {
  const messages = benchEnv().BENCH_MESSAGES;
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' }, pino({ level: 'warn' }));
  const admin = kafka.admin();
  await admin.connect();
  const topic = uniqueName('bench-baseline');
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const startedAt = new Date().toISOString();
  try {
    const parameters = { messages, messageBytes: 1024, batchSize: 1000, concurrency: 3, partitions: 3 };
    const { produce, consume } = await measureKafkaBaseline(kafka, { topic, ...parameters });
    writeReport({ bench: 'kafka-baseline', startedAt, machine: machine(), parameters, measurements: [produce, consume], ratios: {} });
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
