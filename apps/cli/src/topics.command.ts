import { Command } from 'commander';
import { ConfigResourceTypes, type Admin, type ITopicConfig } from 'kafkajs';
import { allTopics } from '@vigil/events';
import { CONNECTOR_CONTROL_TOPIC, CONNECTOR_STATUS_TOPIC } from '@vigil/connector';
import { DEAD_LETTER_TOPIC } from '@vigil/kafka';
import { withKafkaAdmin } from './kafka-admin.factory';
import { cliConfig, type CliConfig } from './cli.config';
import { printTable, type Output } from './cli.util';
import { REPLAY_CHECKPOINT_TOPIC } from './replay-checkpoint.repository';

const DAY_MS = 24 * 3600 * 1000;

interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** The topics Vigil needs and their settings, derived from the configuration. */
export function topicSpecs(config: CliConfig): TopicSpec[] {
  const retentionMs = (config.VIGIL_RETENTION_DAYS + config.VIGIL_REPLAY_MARGIN_DAYS) * DAY_MS;
  const common = {
    'cleanup.policy': 'delete',
    'retention.ms': String(retentionMs),
    // With replication factor 3, two replicas must have every write before acks=all succeeds.
    'min.insync.replicas': String(Math.min(2, config.VIGIL_TOPIC_REPLICATION_FACTOR)),
    'message.timestamp.type': 'CreateTime',
    'unclean.leader.election.enable': 'false',
  };
  return [
    ...allTopics().map((topic) => ({
      topic,
      partitions: config.VIGIL_TOPIC_PARTITIONS,
      replicationFactor: config.VIGIL_TOPIC_REPLICATION_FACTOR,
      config: common,
    })),
    // Dead letters are kept as long as the events they stand for, so they can be redriven.
    { topic: DEAD_LETTER_TOPIC, partitions: 3, replicationFactor: config.VIGIL_TOPIC_REPLICATION_FACTOR, config: common },
    // Operations state keyed by connector (replay checkpoints, status snapshots, pause/resume): only the latest per key matters.
    ...[REPLAY_CHECKPOINT_TOPIC, CONNECTOR_STATUS_TOPIC, CONNECTOR_CONTROL_TOPIC].map((topic) => ({
      topic,
      partitions: 1,
      replicationFactor: config.VIGIL_TOPIC_REPLICATION_FACTOR,
      config: {
        'cleanup.policy': 'compact',
        'min.insync.replicas': common['min.insync.replicas'],
        'unclean.leader.election.enable': 'false',
        'segment.ms': String(DAY_MS),
      },
    })),
  ];
}

type Change = 'created' | 'updated' | 'unchanged';

async function currentConfigs(admin: Admin, topics: string[]): Promise<Map<string, Record<string, string>>> {
  if (topics.length === 0) return new Map();
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  return new Map(
    described.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]),
  );
}

/** Creates missing topics, raises partition counts and aligns configs; never deletes or shrinks anything. */
export async function applyTopics(
  admin: Admin,
  specs: TopicSpec[],
): Promise<{ topic: string; change: Change; partitions: number; details: string }[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s): ITopicConfig => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = specs.filter((s) => existing.has(s.topic));
  const metadata = present.length > 0 ? await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) }) : { topics: [] };
  const configs = await currentConfigs(
    admin,
    present.map((s) => s.topic),
  );
  const results: { topic: string; change: Change; partitions: number; details: string }[] = missing.map((s) => ({
    topic: s.topic,
    change: 'created',
    partitions: s.partitions,
    details: s.config['cleanup.policy'] === 'compact' ? 'compacted' : `retention ${Number(s.config['retention.ms']) / DAY_MS} d`,
  }));
  for (const spec of present) {
    const details: string[] = [];
    const partitions = metadata.topics.find((t) => t.name === spec.topic)?.partitions.length ?? 0;
    if (partitions < spec.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.partitions }] });
      details.push(`partitions ${partitions} -> ${spec.partitions}`);
    }
    const current = configs.get(spec.topic) ?? {};
    const drift = Object.entries(spec.config).filter(([name, value]) => current[name] !== value);
    if (drift.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: spec.topic,
            configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      details.push(...drift.map(([name, value]) => `${name} ${current[name] ?? '(unset)'} -> ${value}`));
    }
    results.push({
      topic: spec.topic,
      change: details.length > 0 ? 'updated' : 'unchanged',
      partitions: Math.max(partitions, spec.partitions),
      details: details.join('; '),
    });
  }
  return results;
}

export function topicsCommand(out: Output): Command {
  const topics = new Command('topics').description(
    'Kafka topics: one per audit category, the dead-letter topic audit.dlq, and the compacted vigil.* operations topics',
  );
  topics
    .command('apply')
    .description('create or update the topics (idempotent; never deletes or shrinks)')
    .action(async () => {
      const config = cliConfig();
      const results = await withKafkaAdmin(config, (admin) => applyTopics(admin, topicSpecs(config)));
      printTable(out, results);
    });
  topics
    .command('list')
    .description('the audit topics with their partitions and retention')
    .action(async () => {
      const config = cliConfig();
      const rows = await withKafkaAdmin(config, async (admin) => {
        const names = (await admin.listTopics()).filter((t) => t.startsWith('audit.')).sort();
        const meta = names.length > 0 ? await admin.fetchTopicMetadata({ topics: names }) : { topics: [] };
        const configs = await currentConfigs(admin, names);
        return names.map((name) => ({
          topic: name,
          partitions: meta.topics.find((t) => t.name === name)?.partitions.length ?? 0,
          retentionDays: Number(configs.get(name)?.['retention.ms'] ?? 0) / DAY_MS,
        }));
      });
      printTable(out, rows);
    });
  return topics;
}
