import { KafkaAdminService, type KafkaClient } from '@vigil/kafka';
import { testEnv, uniqueName } from '@vigil/testing';
import { secondsSince } from './report.util';

/** Offset per partition of one topic. */
export type PartitionOffsets = ReadonlyMap<number, bigint>;

/**
 * The same-run baseline of the delivery benchmarks: a fresh kafkajs group reads [starts, ends) of every partition of
 * `topic`, counting messages and nothing else (no decoding, no sending). Timed from its first fetched batch.
 */
export async function rawConsume(
  kafka: KafkaClient,
  topic: string,
  starts: PartitionOffsets,
  ends: PartitionOffsets,
): Promise<{ messages: number; seconds: number }> {
  const groupId = uniqueName('bench-raw');
  const pending = new Map([...ends].filter(([partition, end]) => end > (starts.get(partition) ?? end)));
  const admin = new KafkaAdminService(kafka, { brokers: testEnv.kafkaBrokers, clientId: 'vigil-bench' });
  await admin.commitGroupOffsets(groupId, new Map([[topic, new Map([...starts].map(([p, offset]) => [p, offset.toString()]))]]));
  const consumer = kafka.consumer({ groupId, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  let messages = 0;
  let started: bigint | undefined;
  const done = new Promise<void>((resolve) => {
    if (pending.size === 0) resolve();
    void consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        started ??= process.hrtime.bigint();
        const end = pending.get(batch.partition);
        if (end === undefined) return Promise.resolve();
        messages += batch.messages.filter((m) => BigInt(m.offset) < end).length;
        const last = batch.messages[batch.messages.length - 1];
        if (last !== undefined && BigInt(last.offset) + 1n >= end && pending.delete(batch.partition) && pending.size === 0) resolve();
        return Promise.resolve();
      },
    });
  });
  await done;
  const seconds = started === undefined ? Number.NaN : secondsSince(started);
  await consumer.disconnect();
  return { messages, seconds };
}
