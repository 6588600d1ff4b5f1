import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaAdminService } from '@vigil/kafka';
import { topicSpecs, TopicsUseCase, type TopicSettings } from './topics.use-case';

const settings: TopicSettings = { retentionDays: 30, replayMarginDays: 7, partitions: 6, replicationFactor: 1 };

/** A cluster where every topic exists with 3 partitions and the spec's configs. */
function cluster(): { admin: KafkaAdminService; raised: string[] } {
  const specs = topicSpecs(settings);
  const raised: string[] = [];
  const admin = {
    listTopics: () => Promise.resolve(specs.map((s) => s.topic)),
    createTopics: () => Promise.resolve(),
    partitionCounts: (topics: string[]) =>
      Promise.resolve(new Map(topics.map((t) => [t, specs.find((s) => s.topic === t)?.partitions === 1 ? 1 : 3]))),
    topicConfigs: (topics: string[]) => Promise.resolve(new Map(topics.map((t) => [t, { ...specs.find((s) => s.topic === t)?.config }]))),
    createPartitions: (topic: string) => Promise.resolve(void raised.push(topic)),
    alterTopicConfig: () => Promise.resolve(),
  } as unknown as KafkaAdminService; // only the calls apply() makes
  return { admin, raised };
}

describe(TopicsUseCase.name, () => {
  it('does not raise partition counts on its own: it reports the drift and why', async () => {
    const { admin, raised } = cluster();
    const results = await new TopicsUseCase(admin).apply(settings);
    assert.deepEqual(raised, []);
    const audit = results.find((r) => r.topic === 'audit.authentication');
    assert.equal(audit?.change, 'drift');
    assert.equal(audit?.partitions, 3);
    assert.match(audit?.details ?? '', /partitions 3, not raised to 6: tenants would move to other partitions/);
  });

  it('raises them when asked to', async () => {
    const { admin, raised } = cluster();
    const results = await new TopicsUseCase(admin).apply(settings, { allowPartitionIncrease: true });
    assert.ok(raised.includes('audit.authentication'));
    assert.deepEqual(
      [
        results.find((r) => r.topic === 'audit.authentication')?.change,
        results.find((r) => r.topic === 'audit.authentication')?.partitions,
      ],
      ['updated', 6],
    );
  });
});
