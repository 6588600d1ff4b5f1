import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { uniqueName } from './stack.env';
import { waitFor } from './wait.util';

export interface Collected {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** The current end offset of every partition of the topics: read from here to see only what a test produced. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, Map<number, string>>> {
  const result = new Map<string, Map<number, string>>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    result.set(topic, new Map(offsets.map((o) => [o.partition, o.high])));
  }
  return result;
}

/**
 * Consumes the topics from the given offsets with a fresh group until `accept` holds for what was
 * collected (or the timeout passes), then stops. Tests wait on what arrived, never on sleeps.
 */
export async function collectFrom(
  kafka: Kafka,
  from: Map<string, Map<number, string>>,
  accept: (collected: readonly Collected[]) => boolean,
  options: { timeoutMs?: number; filter?: (c: Collected) => boolean } = {},
): Promise<Collected[]> {
  const collected: Collected[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('test-collector'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...from.keys()], fromBeginning: true });
    const assigned = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        const item = { topic, partition, message };
        if (options.filter === undefined || options.filter(item)) collected.push(item);
        return Promise.resolve();
      },
    });
    await assigned;
    for (const [topic, partitions] of from) for (const [partition, offset] of partitions) consumer.seek({ topic, partition, offset });
    await waitFor(
      () => collected.length,
      () => accept(collected),
      'the expected messages to arrive',
      options.timeoutMs ?? 20_000,
    );
    return collected;
  } finally {
    await consumer.disconnect();
  }
}
