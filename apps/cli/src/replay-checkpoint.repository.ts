import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import type { OffsetMap } from '@vigil/connector';
import type { ReplayArgs, ReplayPlan } from './replay-plan.util';
import { latestByKey } from './topic-reader.util';

/**
 * Compacted topic, keyed by connector: the unfinished replay of each connector (its arguments and fixed range). The
 * progress itself is the committed offsets of the group `vigil-replay-<connector>`; this record is what those offsets
 * mean. It is a topic rather than the group's commit metadata because every commit of the consumer rewrites that
 * metadata, and because compaction keeps the latest record per connector for as long as the replay is unfinished.
 */
export const REPLAY_CHECKPOINT_TOPIC = 'vigil.replay-checkpoints';

export interface ReplayCheckpoint {
  version: 1;
  args: ReplayArgs;
  plan: ReplayPlan;
  /** The connector had no committed offsets when the replay first started: hand its group over at the end. */
  handOver: boolean;
  createdAt: string;
}

type Json = Record<string, Record<string, string>>;

const toJson = (offsets: OffsetMap): Json =>
  Object.fromEntries(
    [...offsets].map(([topic, partitions]) => [topic, Object.fromEntries([...partitions].map(([p, o]) => [String(p), o]))]),
  );

const fromJson = (json: Json): OffsetMap =>
  new Map(Object.entries(json).map(([topic, partitions]) => [topic, new Map(Object.entries(partitions).map(([p, o]) => [Number(p), o]))]));

/** Reads and writes replay checkpoints (acks=all: a checkpoint must survive a broker restart). */
export class ReplayCheckpointRepository {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  async find(connector: string): Promise<ReplayCheckpoint | undefined> {
    const value = (await latestByKey(this.kafka, this.admin, REPLAY_CHECKPOINT_TOPIC)).get(connector);
    if (value === undefined) return undefined;
    const raw = JSON.parse(value.toString()) as Omit<ReplayCheckpoint, 'plan'> & { plan: { topics: string[]; start: Json; end: Json } };
    return { ...raw, plan: { topics: raw.plan.topics, start: fromJson(raw.plan.start), end: fromJson(raw.plan.end) } };
  }

  async save(checkpoint: ReplayCheckpoint): Promise<void> {
    const { plan } = checkpoint;
    const value = JSON.stringify({ ...checkpoint, plan: { topics: plan.topics, start: toJson(plan.start), end: toJson(plan.end) } });
    await this.write(checkpoint.args.connector, value);
  }

  /** A tombstone: the replay finished or was discarded; compaction forgets it. */
  async remove(connector: string): Promise<void> {
    await this.write(connector, null);
  }

  private async write(connector: string, value: string | null): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic: REPLAY_CHECKPOINT_TOPIC, acks: -1, messages: [{ key: connector, value }] });
    } finally {
      await producer.disconnect();
    }
  }
}
