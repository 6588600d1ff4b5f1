import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { CliError } from './cli.util';

const IDLE_MS = 5000;

export interface TopicMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads what a topic holds right now (from the earliest retained offset, or `from`, up to the high watermarks taken
 * at the call) with a throw-away group that never commits, and returns it in partition order.
 */
export async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  from?: ReadonlyMap<number, string>,
  keep: (m: TopicMessage) => boolean = () => true,
  /** Stop reading once this many messages were kept. */
  limit = Number.POSITIVE_INFINITY,
): Promise<TopicMessage[]> {
  if (!(await admin.listTopics()).includes(topic))
    throw new CliError(`topic ${topic} does not exist; create it with \`npm run vigil -- topics apply\``);
  const offsets = await admin.fetchTopicOffsets(topic);
  // With `from`, only its partitions are read (from the later of its offset and the earliest retained one).
  const start = new Map(
    offsets
      .filter((o) => from === undefined || from.has(o.partition))
      .map((o) => {
        const at = BigInt(from?.get(o.partition) ?? o.low);
        return [o.partition, at > BigInt(o.low) ? at : BigInt(o.low)] as const;
      }),
  );
  const pending = new Map(
    offsets
      .filter((o) => start.has(o.partition) && BigInt(o.high) > (start.get(o.partition) ?? 0n))
      .map((o) => [o.partition, BigInt(o.high)]),
  );
  const found: TopicMessage[] = [];
  if (pending.size === 0) return found;
  const consumer = kafka.consumer({
    groupId: `vigil-cli-reader-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Compaction can remove a partition's last records, so the high watermark is never reached: stop when idle.
  const idle = setTimeout(() => finish(), IDLE_MS);
  await consumer.connect();
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const end = pending.get(batch.partition);
        if (end === undefined) return Promise.resolve();
        idle.refresh();
        const first = start.get(batch.partition) ?? 0n;
        for (const message of batch.messages) {
          if (BigInt(message.offset) < first) continue;
          if (BigInt(message.offset) >= end) break;
          const item = { topic, partition: batch.partition, message };
          if (keep(item)) found.push(item);
          if (found.length >= limit) finish();
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last !== undefined && BigInt(last.offset) + 1n >= end && pending.delete(batch.partition) && pending.size === 0) finish();
        return Promise.resolve();
      },
    });
    await joined;
    for (const [partition, offset] of start) if (pending.has(partition)) consumer.seek({ topic, partition, offset: offset.toString() });
    idle.refresh();
    await finished;
  } finally {
    clearTimeout(idle);
    await consumer.disconnect();
  }
  return found.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
}

/** The latest value per key of a compacted topic (tombstones remove the key). */
export async function latestByKey(kafka: Kafka, admin: Admin, topic: string): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>();
  for (const { message } of await readTopic(kafka, admin, topic)) {
    const key = message.key?.toString();
    if (key === undefined) continue;
    if (message.value === null) latest.delete(key);
    else latest.set(key, message.value);
  }
  return latest;
}
