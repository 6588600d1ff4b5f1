import { Injectable } from '@nestjs/common';
import { CONNECTOR_CONTROL_TOPIC, CONNECTOR_STATUS_TOPIC } from '@vigil/connector';
import { allTopics } from '@vigil/events';
import { DEAD_LETTER_TOPIC, KafkaAdminService, type TopicSpec } from '@vigil/kafka';
import { REPLAY_CHECKPOINT_TOPIC } from './replay-checkpoint.repository';

const DAY_MS = 24 * 3600 * 1000;

/** The settings the topics derive from (the CLI's configuration). */
export interface TopicSettings {
  retentionDays: number;
  /** Extra days topics keep events beyond the store, so a replay or rebuild always has the whole window. */
  replayMarginDays: number;
  partitions: number;
  replicationFactor: number;
}

/** `drift`: the topic differs from its spec in a way `apply` does not change on its own (a partition count). */
export type TopicChange = 'created' | 'updated' | 'drift' | 'unchanged';

export interface AppliedTopic {
  topic: string;
  change: TopicChange;
  partitions: number;
  details: string;
}

/** The topics Vigil needs and their settings. */
export function topicSpecs(settings: TopicSettings): TopicSpec[] {
  const retentionMs = (settings.retentionDays + settings.replayMarginDays) * DAY_MS;
  const common = {
    'cleanup.policy': 'delete',
    'retention.ms': String(retentionMs),
    // With replication factor 3, two replicas must have every write before acks=all succeeds.
    'min.insync.replicas': String(Math.min(2, settings.replicationFactor)),
    'message.timestamp.type': 'CreateTime',
    'unclean.leader.election.enable': 'false',
  };
  return [
    ...allTopics().map((topic) => ({
      topic,
      partitions: settings.partitions,
      replicationFactor: settings.replicationFactor,
      config: common,
    })),
    // Dead letters are kept as long as the events they stand for, so they can be redriven.
    { topic: DEAD_LETTER_TOPIC, partitions: 3, replicationFactor: settings.replicationFactor, config: common },
    // Operations state keyed by connector (replay checkpoints, status snapshots, pause/resume): only the latest per key matters.
    ...[REPLAY_CHECKPOINT_TOPIC, CONNECTOR_STATUS_TOPIC, CONNECTOR_CONTROL_TOPIC].map((topic) => ({
      topic,
      partitions: 1,
      replicationFactor: settings.replicationFactor,
      config: {
        'cleanup.policy': 'compact',
        'min.insync.replicas': common['min.insync.replicas'],
        'unclean.leader.election.enable': 'false',
        'segment.ms': String(DAY_MS),
      },
    })),
  ];
}

/** Creates and aligns Vigil's topics, and lists the audit topics. */
@Injectable()
export class TopicsUseCase {
  constructor(private readonly admin: KafkaAdminService) {}

  /**
   * Creates missing topics and aligns configs (keeping the overrides an operator set on them); never deletes or shrinks
   * anything. Partition counts are raised only with `allowPartitionIncrease`: a new count moves tenants to other
   * partitions (the key's hash decides), which breaks the order of their events across the change.
   */
  async apply(settings: TopicSettings, options: { allowPartitionIncrease?: boolean } = {}): Promise<AppliedTopic[]> {
    const specs = topicSpecs(settings);
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    await this.admin.createTopics(missing);
    const present = specs.filter((s) => existing.has(s.topic));
    const counts = await this.admin.partitionCounts(present.map((s) => s.topic));
    const configs = await this.admin.topicConfigs(present.map((s) => s.topic));
    const results: AppliedTopic[] = missing.map((s) => ({
      topic: s.topic,
      change: 'created',
      partitions: s.partitions,
      details: s.config['cleanup.policy'] === 'compact' ? 'compacted' : `retention ${Number(s.config['retention.ms']) / DAY_MS} d`,
    }));
    for (const spec of present) {
      const details: string[] = [];
      const partitions = counts.get(spec.topic) ?? 0;
      if (partitions < spec.partitions && options.allowPartitionIncrease === true) {
        await this.admin.createPartitions(spec.topic, spec.partitions);
        details.push(`partitions ${partitions} -> ${spec.partitions}`);
      } else if (partitions < spec.partitions) {
        details.push(
          `partitions ${partitions}, not raised to ${spec.partitions}: tenants would move to other partitions and lose their order across the change (--allow-partition-increase, docs/operations.md)`,
        );
      }
      const current = configs.get(spec.topic) ?? {};
      const drift = Object.entries(spec.config).filter(([name, value]) => current[name] !== value);
      if (drift.length > 0) {
        await this.admin.alterTopicConfig(spec.topic, spec.config);
        details.push(...drift.map(([name, value]) => `${name} ${current[name] ?? '(unset)'} -> ${value}`));
      }
      results.push({
        topic: spec.topic,
        change: details.some((d) => !d.includes('not raised')) ? 'updated' : details.length > 0 ? 'drift' : 'unchanged',
        partitions: options.allowPartitionIncrease === true ? Math.max(partitions, spec.partitions) : partitions,
        details: details.join('; '),
      });
    }
    return results;
  }

  /** The audit topics with their partitions and retention. */
  async list(): Promise<{ topic: string; partitions: number; retentionDays: number }[]> {
    const names = (await this.admin.listTopics()).filter((t) => t.startsWith('audit.')).sort();
    const counts = await this.admin.partitionCounts(names);
    const configs = await this.admin.topicConfigs(names);
    return names.map((name) => ({
      topic: name,
      partitions: counts.get(name) ?? 0,
      retentionDays: Number(configs.get(name)?.['retention.ms'] ?? 0) / DAY_MS,
    }));
  }
}
