import type { RawAdmin as Admin, RawConsumer as Consumer, RawKafka as Kafka, RawKafkaMessage as KafkaMessage } from '@vigil/kafka';
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

/**
 * Points a fresh consumer group at the current end of the topics, so it sees only what the test
 * produces next. (kafkajs' admin.setOffsets runs a consumer per topic and waits for a fetch: 5 s each.)
 * One member joins, commits the high watermarks of all partitions at once, and leaves.
 */
export async function startGroupAtEnd(kafka: Kafka, admin: Admin, groupId: string, topics: readonly string[]): Promise<void> {
  const ends = await Promise.all(
    topics.map(async (topic) => ({
      topic,
      partitions: (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.high })),
    })),
  );
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics: [...topics], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: () => new Promise<void>(() => undefined) });
    consumer.pause(topics.map((topic) => ({ topic })));
    await joined;
    await consumer.commitOffsets(
      ends.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: p.partition, offset: p.offset }))),
    );
  } finally {
    await consumer.disconnect();
  }
}
