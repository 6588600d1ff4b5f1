import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigResourceTypes, ConfigSource, type Admin } from 'kafkajs';
import { errorChain } from '@vigil/common';
import { kafkaFailureHint } from '@vigil/observability';
import type { KafkaClientOptions } from './kafka.client';
import type { KafkaClient } from './kafka.client';
import type { OffsetMap, PartitionWatermarks, TopicSpec } from './kafka-client.types';
import { KafkaAdminErrorCode, KafkaAdminException } from './kafka-admin.exception';
import { topicLag, type StartFrom } from './kafka-offsets.util';
import { KAFKA, KAFKA_CLIENT_OPTIONS } from './kafka.tokens';

/** How long createPartitions waits for the cluster's metadata to list the new partitions. */
const PARTITIONS_VISIBLE_TIMEOUT_MS = 10_000;
/** How long alterTopicConfig waits for the broker to describe the new overrides. */
const CONFIG_VISIBLE_TIMEOUT_MS = 10_000;

/** A metadata error that only means "not there yet" (kafkajs may wrap it once its own retries ran out). */
function notYetLed(err: unknown): boolean {
  return [...errorChain(err)].some((e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE');
}

/**
 * The one Kafka admin of an operations process: topics, watermarks, offsets for a time, group offsets, lag. It
 * connects on first use, so commands that never touch Kafka never wait for it, and an unreachable broker becomes
 * one error that says what to do.
 */
@Injectable()
export class KafkaAdminService implements OnApplicationShutdown {
  private connected: Promise<Admin> | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(KAFKA_CLIENT_OPTIONS) private readonly options: KafkaClientOptions,
  ) {}

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  /** Fails with TOPIC_MISSING, naming the command that creates it, when the topic does not exist. */
  async requireTopic(topic: string): Promise<void> {
    if (!(await this.listTopics()).includes(topic))
      throw new KafkaAdminException(
        KafkaAdminErrorCode.TOPIC_MISSING,
        `topic ${topic} does not exist; create it with \`npm run vigil -- topics apply\``,
      );
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    await (
      await this.admin()
    ).createTopics({
      // kafkajs' own wait gives up when the broker it asks has not heard of the topic yet (UNKNOWN_TOPIC_OR_PARTITION
      // on a cluster), so Vigil waits itself, below.
      waitForLeaders: false,
      topics: specs.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
    await this.untilLed(specs.map((s) => ({ topic: s.topic, partitions: s.partitions })));
  }

  /**
   * Returns once the metadata lists every partition of the topics with a leader. On a cluster a broker learns of a
   * new topic a moment after the controller answered, and says it does not host it until then.
   */
  private async untilLed(expected: readonly { topic: string; partitions: number }[]): Promise<void> {
    const deadline = Date.now() + PARTITIONS_VISIBLE_TIMEOUT_MS;
    let missing: string[] = expected.map((e) => e.topic);
    for (;;) {
      try {
        const { topics: meta } = await (await this.admin()).fetchTopicMetadata({ topics: expected.map((e) => e.topic) });
        missing = expected
          .filter((e) => {
            const parts = meta.find((m) => m.name === e.topic)?.partitions ?? [];
            return parts.length < e.partitions || parts.some((p) => p.leader < 0);
          })
          .map((e) => e.topic);
        if (missing.length === 0) return;
      } catch (err) {
        if (!notYetLed(err)) throw err;
      }
      if (Date.now() > deadline)
        throw new KafkaAdminException(
          KafkaAdminErrorCode.BROKER_UNREACHABLE,
          `created ${missing.join(', ')}, but the cluster's metadata still lists no leader for every partition after ${PARTITIONS_VISIBLE_TIMEOUT_MS / 1000} s`,
        );
      await delay(100);
    }
  }

  /** Partition count per topic (0 for a topic the broker does not know). */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    if (topics.length === 0) return new Map();
    const { topics: meta } = await (await this.admin()).fetchTopicMetadata({ topics: [...topics] });
    return new Map(topics.map((t) => [t, meta.find((m) => m.name === t)?.partitions.length ?? 0]));
  }

  /**
   * Raises the topic to `count` partitions and returns once the cluster's metadata lists them all: Kafka answers the
   * request before every broker knows the new partitions, and a read of the topic right after (watermarks, a
   * consumer's assignment) would otherwise miss them.
   */
  async createPartitions(topic: string, count: number): Promise<void> {
    await (await this.admin()).createPartitions({ topicPartitions: [{ topic, count }] });
    await this.untilLed([{ topic, partitions: count }]);
  }

  /** The current configuration of each topic, entry by entry. */
  topicConfigs(topics: readonly string[]): Promise<Map<string, Record<string, string>>> {
    return this.describeTopicConfigs(topics, () => true);
  }

  /** Each topic's own overrides (what was set on the topic, not inherited from the broker or its defaults). */
  topicOverrides(topics: readonly string[]): Promise<Map<string, Record<string, string>>> {
    return this.describeTopicConfigs(topics, (e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configValue !== null);
  }

  /** Each topic's config entries that `keep` accepts, by name. */
  private async describeTopicConfigs(
    topics: readonly string[],
    keep: (entry: { configSource: ConfigSource; configValue: string | null }) => boolean,
  ): Promise<Map<string, Record<string, string>>> {
    if (topics.length === 0) return new Map();
    const described = await (
      await this.admin()
    ).describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    return new Map(
      described.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(r.configEntries.filter(keep).map((e) => [e.configName, e.configValue])),
      ]),
    );
  }

  /**
   * Sets topic configs without touching the topic's other overrides. Kafka's AlterConfigs (the only config call kafkajs
   * has; it lacks IncrementalAlterConfigs) replaces a topic's whole set of overrides, so the current overrides are read
   * first and sent again with the changed values: a setting an operator made with Kafka's tools survives.
   *
   * Returns once the broker describes the new values (or after 10 s). The controller accepts a change before the
   * broker applies it, so a second call right after the first could read the overrides from before it and send them
   * back, undoing it (a test that altered two settings in a row saw the second one missing, one CI run in four).
   */
  async alterTopicConfig(topic: string, config: Record<string, string>): Promise<void> {
    const kept = (await this.topicOverrides([topic])).get(topic) ?? {};
    const merged = { ...kept, ...config };
    await (
      await this.admin()
    ).alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })) },
      ],
    });
    // Best effort and bounded: Kafka accepted the change, and may describe a value in its own spelling (`compact, delete`
    // as `compact,delete`), so after the bound the call returns rather than fail a change that was made.
    const deadline = Date.now() + CONFIG_VISIBLE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const now = (await this.topicOverrides([topic])).get(topic) ?? {};
      if (Object.entries(config).every(([name, value]) => now[name] === value)) return;
      await delay(100);
    }
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return (await (await this.admin()).fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high }));
  }

  /** Per partition, the earliest offset whose record Kafka received at or after `timeMs` (the high watermark if none). */
  async offsetsAt(topic: string, timeMs: number): Promise<Map<number, string>> {
    return new Map((await (await this.admin()).fetchTopicOffsetsByTimestamp(topic, timeMs)).map((o) => [o.partition, o.offset]));
  }

  /** The group's committed offsets of the topics; partitions it never committed are absent. */
  async committedOffsets(groupId: string, topics: readonly string[]): Promise<OffsetMap> {
    const result: OffsetMap = new Map();
    if (topics.length === 0) return result;
    for (const { topic, partitions } of await (await this.admin()).fetchOffsets({ groupId, topics: [...topics] })) {
      result.set(topic, new Map(partitions.filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset] as const)));
    }
    return result;
  }

  /** True when the group has committed nothing on any partition of the topics. */
  async neverCommitted(groupId: string, topics: readonly string[]): Promise<boolean> {
    return [...(await this.committedOffsets(groupId, topics)).values()].every((partitions) => partitions.size === 0);
  }

  /**
   * Messages per topic the group has not committed yet. `startFrom` is where a group that committed nothing starts
   * (its first start); once it committed anywhere, a partition it never committed starts at its beginning (a
   * partition or topic added later), as the consumer host reads it.
   */
  async lag(groupId: string, topics: readonly string[], startFrom: StartFrom): Promise<Record<string, number>> {
    const committed = await this.committedOffsets(groupId, topics);
    const started = [...committed.values()].some((partitions) => partitions.size > 0);
    const lag: Record<string, number> = {};
    for (const topic of topics) lag[topic] = topicLag(await this.watermarks(topic), committed.get(topic), started ? 'earliest' : startFrom);
    return lag;
  }

  /** Every partition's earliest or latest offset, for those of the topics that exist. */
  async startPositions(topics: readonly string[], startFrom: StartFrom): Promise<OffsetMap> {
    const existing = new Set(await this.listTopics());
    const positions: OffsetMap = new Map();
    for (const topic of topics.filter((t) => existing.has(t))) {
      const watermarks = await this.watermarks(topic);
      positions.set(topic, new Map(watermarks.map(({ partition, low, high }) => [partition, startFrom === 'earliest' ? low : high])));
    }
    return positions;
  }

  /**
   * A group's first start: when it has committed nothing on the topics, commits `startFrom` for every partition of
   * them, so the start position is decided once and every later start (and `lag`) resumes from a commit. Returns what
   * it committed (nothing when the group had positions already). The group must have no member.
   */
  async commitFirstStartPositions(groupId: string, topics: readonly string[], startFrom: StartFrom): Promise<OffsetMap> {
    if (!(await this.neverCommitted(groupId, topics))) return new Map();
    const positions = await this.startPositions(topics, startFrom);
    await this.commitGroupOffsets(groupId, positions);
    return positions;
  }

  /** True when no member is in the group (nobody consumes with it right now). */
  async groupIsIdle(groupId: string): Promise<boolean> {
    const { groups } = await (await this.admin()).describeGroups([groupId]);
    const state = groups[0]?.state ?? 'Dead';
    return state === 'Empty' || state === 'Dead';
  }

  /** The ids of every consumer group the cluster knows. */
  async groupIds(): Promise<string[]> {
    return (await (await this.admin()).listGroups()).groups.map((g) => g.groupId);
  }

  /** Deletes the group and its offsets; a group that does not exist (or still has members) is left as it is. */
  async deleteGroup(groupId: string): Promise<void> {
    await (await this.admin()).deleteGroups([groupId]).catch(() => undefined);
  }

  /**
   * Commits offsets for a group that nobody consumes with: one member joins, commits every partition at once, and
   * leaves. (kafkajs' admin.setOffsets runs a consumer per topic and waits for a fetch each time: seconds per topic.)
   */
  async commitGroupOffsets(groupId: string, offsets: ReadonlyMap<string, ReadonlyMap<number, string>>): Promise<void> {
    const topics = [...offsets.keys()];
    if (topics.length === 0) return;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
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

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Disconnects the admin (it connects again on the next call). */
  async close(): Promise<void> {
    const admin = await this.connected?.catch(() => undefined);
    this.connected = undefined;
    await admin?.disconnect();
  }

  private admin(): Promise<Admin> {
    this.connected ??= this.connect();
    return this.connected;
  }

  private async connect(): Promise<Admin> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return admin;
    } catch (err) {
      this.connected = undefined;
      const hint = kafkaFailureHint(err);
      if (hint !== undefined) throw new KafkaAdminException(KafkaAdminErrorCode.BROKER_UNREACHABLE, hint);
      throw new KafkaAdminException(
        KafkaAdminErrorCode.BROKER_UNREACHABLE,
        `Kafka is not reachable${this.options.brokers.length > 0 ? ` at ${this.options.brokers.join(',')}` : ''} (${(err as Error).message}). Start it with \`npm run stack:up\` or set KAFKA_BROKERS.`,
      );
    }
  }
}
