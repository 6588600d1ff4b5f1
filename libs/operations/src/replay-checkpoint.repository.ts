import { Injectable } from '@nestjs/common';
import { KeyedRecordProducer, TopicReader, type OffsetMap } from '@vigil/kafka';
import type { ReplayArgs, ReplayPlan } from './replay-plan.util';

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

/** The checkpoint as the topic stores it (offset maps as JSON objects). */
export function encodeCheckpoint(checkpoint: ReplayCheckpoint): string {
  const { plan } = checkpoint;
  return JSON.stringify({ ...checkpoint, plan: { topics: plan.topics, start: toJson(plan.start), end: toJson(plan.end) } });
}

export function decodeCheckpoint(value: string): ReplayCheckpoint {
  const raw = JSON.parse(value) as Omit<ReplayCheckpoint, 'plan'> & { plan: { topics: string[]; start: Json; end: Json } };
  return { ...raw, plan: { topics: raw.plan.topics, start: fromJson(raw.plan.start), end: fromJson(raw.plan.end) } };
}

/** Reads and writes replay checkpoints (acks=all: a checkpoint must survive a broker restart). */
@Injectable()
export class ReplayCheckpointRepository {
  constructor(
    private readonly reader: TopicReader,
    private readonly producer: KeyedRecordProducer,
  ) {}

  async find(connector: string): Promise<ReplayCheckpoint | undefined> {
    const value = (await this.reader.latestByKey(REPLAY_CHECKPOINT_TOPIC)).get(connector);
    return value === undefined ? undefined : decodeCheckpoint(value.toString());
  }

  async save(checkpoint: ReplayCheckpoint): Promise<void> {
    await this.producer.send(REPLAY_CHECKPOINT_TOPIC, checkpoint.args.connector, encodeCheckpoint(checkpoint));
  }

  /** A tombstone: the replay finished or was discarded; compaction forgets it. */
  async remove(connector: string): Promise<void> {
    await this.producer.send(REPLAY_CHECKPOINT_TOPIC, connector, null);
  }
}
