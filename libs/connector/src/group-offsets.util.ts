import type { Admin, Kafka } from 'kafkajs';
import type { StartOffsets } from './connector.runner';

/** Offset per topic and partition (string offsets, as Kafka hands them out). */
export type OffsetMap = Map<string, Map<number, string>>;

/** The group's committed offsets of the topics; partitions it never committed are absent. */
export async function committedOffsets(admin: Admin, groupId: string, topics: readonly string[]): Promise<OffsetMap> {
  const result: OffsetMap = new Map();
  if (topics.length === 0) return result;
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    const committed = new Map(partitions.filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset] as const));
    result.set(topic, committed);
  }
  return result;
}

/** True when no member is in the group (nobody consumes with it right now). */
export async function groupIsIdle(admin: Admin, groupId: string): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  const state = groups[0]?.state ?? 'Dead';
  return state === 'Empty' || state === 'Dead';
}

/**
 * Commits offsets for a group that nobody consumes with: one member joins, commits every partition at once, and
 * leaves. (kafkajs' admin.setOffsets runs a consumer per topic and waits for a fetch each time: seconds per topic.)
 */
export async function commitGroupOffsets(kafka: Kafka, groupId: string, offsets: StartOffsets): Promise<void> {
  const topics = [...offsets.keys()];
  if (topics.length === 0) return;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() });
    consumer.pause(topics.map((topic) => ({ topic })));
    await joined;
    await consumer.commitOffsets(
      [...offsets].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, offset }))),
    );
  } finally {
    await consumer.disconnect();
  }
}
