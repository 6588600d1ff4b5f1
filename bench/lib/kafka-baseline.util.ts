import { createRawProducer, type RawKafka as Kafka } from '@vigil/kafka';
import { secondsSince, type Measurement } from './report.util';

export interface BaselineOptions {
  topic: string;
  messages: number;
  messageBytes: number;
  batchSize: number;
  /** Batches in flight at once (kafkajs sends one request per send call). */
  concurrency: number;
}

/**
 * Raw kafkajs throughput on the local broker: the baseline every later benchmark is a ratio of.
 * Produce: `send` of `batchSize` messages, `concurrency` sends in flight, acks=-1, idempotent producer.
 * Consume: a fresh group reading the same topic from the beginning with eachBatch.
 */
export async function measureKafkaBaseline(
  kafka: Kafka,
  options: BaselineOptions,
): Promise<{ produce: Measurement; consume: Measurement }> {
  const { topic, messages, messageBytes, batchSize, concurrency } = options;
  const value = Buffer.alloc(messageBytes, 'x');
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const batches = Math.ceil(messages / batchSize);
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < batches) {
      const b = next++;
      const count = Math.min(batchSize, messages - b * batchSize);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({ key: `k${(b * batchSize + i) % 64}`, value })),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const produceSeconds = secondsSince(started);
  await producer.disconnect();

  const consumer = kafka.consumer({
    groupId: `${topic}-bench-consumer`,
    maxBytes: 16 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  let consumeStarted: bigint | undefined;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: true,
      eachBatch: ({ batch }) => {
        consumeStarted ??= process.hrtime.bigint();
        consumed += batch.messages.length;
        if (consumed >= messages) resolve();
        return Promise.resolve();
      },
    });
  });
  await done;
  const consumeSeconds = consumeStarted === undefined ? Number.NaN : secondsSince(consumeStarted);
  await consumer.disconnect();

  const mb = (messages * messageBytes) / 1e6;
  return {
    produce: {
      name: 'kafkajs produce',
      value: messages / produceSeconds,
      unit: 'msg/s',
      extra: { 'MB/s': mb / produceSeconds, seconds: produceSeconds },
    },
    consume: {
      name: 'kafkajs consume',
      value: messages / consumeSeconds,
      unit: 'msg/s',
      extra: { 'MB/s': mb / consumeSeconds, seconds: consumeSeconds },
    },
  };
}
