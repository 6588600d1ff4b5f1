import { Inject, Injectable } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { ConsumerGroups } from './consumer-group.constants';
import { KafkaAdminService } from './kafka-admin.service';
import type { KafkaClient } from './kafka.client';
import { KAFKA } from './kafka.tokens';

/** Compaction can remove a partition's last records, so the high watermark is never reached: a read stops when idle this long. */
const IDLE_MS = 5000;

/** One record of a bounded read, with its headers as strings. */
export interface TopicRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Epoch milliseconds, as Kafka stamped it. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface TopicReadOptions {
  /** Read only these partitions, each from the later of this offset and its earliest retained one. */
  from?: ReadonlyMap<number, string>;
  /** Records kept (default: all). */
  keep?: (record: TopicRecord) => boolean;
  /** Stop reading once this many records were kept. */
  limit?: number;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return { topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers };
}

/** Reads what a topic holds, up to the high watermarks fixed when the read starts, with a group that never commits. */
@Injectable()
export class TopicReader {
  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdminService,
  ) {}

  /** The records from the earliest retained offset (or `from`) to the high watermarks of the call, in partition order. */
  async read(topic: string, options: TopicReadOptions = {}): Promise<TopicRecord[]> {
    const { from, keep = () => true, limit = Number.POSITIVE_INFINITY } = options;
    await this.admin.requireTopic(topic);
    const offsets = await this.admin.watermarks(topic);
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
    const found: TopicRecord[] = [];
    if (pending.size === 0) return found;
    const groupId = ConsumerGroups.reader();
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 * 1024 * 1024 });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
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
            const record = toRecord(topic, batch.partition, message);
            if (keep(record)) found.push(record);
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
      // A reader's group is its own, used once: removed, so `kafka-consumer-groups --list` does not fill with them.
      await this.admin.deleteGroup(groupId);
    }
    return found.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }

  /** The latest value per key of a compacted topic (tombstones remove the key). */
  async latestByKey(topic: string): Promise<Map<string, Buffer>> {
    return latestByKey(await this.read(topic));
  }
}

/** Folds records in offset order into the latest value per key; a tombstone (null value) removes its key. */
export function latestByKey(records: readonly Pick<TopicRecord, 'key' | 'value'>[]): Map<string, Buffer> {
  const latest = new Map<string, Buffer>();
  for (const { key, value } of records) {
    const name = key?.toString();
    if (name === undefined) continue;
    if (value === null) latest.delete(name);
    else latest.set(name, value);
  }
  return latest;
}
