import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import {
  createKafka,
  KafkaAdminErrorCode,
  KafkaAdminException,
  KafkaAdminService,
  KeyedRecordProducer,
  TopicReader,
  type KafkaClientOptions,
} from '@vigil/kafka';
import { requireStack, testEnv, uniqueName } from '@vigil/testing';

const logger = pino({ level: 'silent' });
const options: KafkaClientOptions = { brokers: testEnv.kafkaBrokers, clientId: 'kafka-admin-int-spec' };
const kafka = createKafka(options, logger);
const admin = new KafkaAdminService(kafka, options);
const reader = new TopicReader(kafka, admin);
const producer = new KeyedRecordProducer(kafka);

async function aTopic(partitions: number, config: Record<string, string> = {}): Promise<string> {
  const topic = uniqueName('admin-it');
  await admin.createTopics([{ topic, partitions, replicationFactor: 1, config }]);
  return topic;
}

before(async () => {
  await requireStack(['kafka']);
});
after(async () => {
  await producer.onApplicationShutdown();
  await admin.onApplicationShutdown();
});

describe(KafkaAdminService.name, () => {
  it('creates a topic with its settings, then reports its partitions, configs and watermarks', async () => {
    const topic = await aTopic(2, { 'cleanup.policy': 'compact' });
    assert.ok((await admin.listTopics()).includes(topic));
    assert.equal((await admin.partitionCounts([topic])).get(topic), 2);
    assert.equal((await admin.topicConfigs([topic])).get(topic)?.['cleanup.policy'], 'compact');
    await admin.alterTopicConfig(topic, { 'cleanup.policy': 'delete' });
    assert.equal((await admin.topicConfigs([topic])).get(topic)?.['cleanup.policy'], 'delete');
    await admin.createPartitions(topic, 3);
    assert.deepEqual(
      (await admin.watermarks(topic)).sort((a, b) => a.partition - b.partition),
      [0, 1, 2].map((partition) => ({ partition, low: '0', high: '0' })),
    );
  });

  it('changes a topic setting without wiping an override an operator set with Kafka’s own tools', async () => {
    const topic = await aTopic(1, { 'retention.ms': '86400000' });
    // What `kafka-configs.sh --alter --add-config max.message.bytes=2000000` does to the topic's overrides.
    await admin.alterTopicConfig(topic, { 'max.message.bytes': '2000000' });
    await admin.alterTopicConfig(topic, { 'retention.ms': '172800000' });
    assert.deepEqual((await admin.topicOverrides([topic])).get(topic), { 'max.message.bytes': '2000000', 'retention.ms': '172800000' });
  });

  it('measures lag from committed offsets, starting uncommitted partitions at earliest or latest', async () => {
    const topic = await aTopic(1);
    for (let i = 0; i < 5; i++) await producer.send(topic, 'k', `v${i}`);
    const groupId = uniqueName('admin-it-group');
    assert.deepEqual(await admin.lag(groupId, [topic], 'earliest'), { [topic]: 5 });
    assert.deepEqual(await admin.lag(groupId, [topic], 'latest'), { [topic]: 0 });
    assert.equal(await admin.neverCommitted(groupId, [topic]), true);

    await admin.commitGroupOffsets(groupId, new Map([[topic, new Map([[0, '3']])]]));
    assert.deepEqual([...((await admin.committedOffsets(groupId, [topic])).get(topic) ?? [])], [[0, '3']]);
    assert.deepEqual(await admin.lag(groupId, [topic], 'latest'), { [topic]: 2 });
    assert.equal(await admin.groupIsIdle(groupId), true);

    await admin.deleteGroup(groupId);
    assert.equal(await admin.neverCommitted(groupId, [topic]), true);
  });

  it('finds offsets by time: the first offset at or after it, the high watermark past the last record', async () => {
    const topic = await aTopic(1);
    for (let i = 0; i < 3; i++) await producer.send(topic, 'k', `v${i}`);
    assert.equal((await admin.offsetsAt(topic, 0)).get(0), '0');
    assert.equal((await admin.offsetsAt(topic, Date.now() + 3_600_000)).get(0), '3');
  });

  it('says how to start Kafka when the broker is unreachable', async () => {
    const down: KafkaClientOptions = { brokers: ['127.0.0.1:1'], clientId: 'kafka-admin-int-spec', overrides: { retry: { retries: 0 } } };
    const unreachable = new KafkaAdminService(createKafka(down, logger), down);
    await assert.rejects(
      unreachable.listTopics(),
      (err: unknown) =>
        err instanceof KafkaAdminException && err.code === KafkaAdminErrorCode.BROKER_UNREACHABLE && /npm run stack:up/.test(err.message),
    );
  });
});

describe(TopicReader.name, () => {
  it('reads a compacted topic as its latest value per key, tombstones removing keys', async () => {
    const topic = await aTopic(1, { 'cleanup.policy': 'compact' });
    await producer.send(topic, 'a', '1');
    await producer.send(topic, 'b', '1');
    await producer.send(topic, 'a', '2');
    await producer.send(topic, 'b', null);
    const latest = await reader.latestByKey(topic);
    assert.deepEqual(
      [...latest].map(([k, v]) => [k, v.toString()]),
      [['a', '2']],
    );
  });

  it('reads from given offsets up to the watermarks of the call, and stops at the limit', async () => {
    const topic = await aTopic(1);
    for (let i = 0; i < 6; i++) await producer.send(topic, 'k', `v${i}`);
    const groupsBefore = new Set(await admin.groupIds());
    const records = await reader.read(topic, { from: new Map([[0, '2']]) });
    assert.deepEqual(
      records.map((r) => [r.offset, r.value?.toString()]),
      [2, 3, 4, 5].map((i) => [String(i), `v${i}`]),
    );
    const [hit, ...rest] = await reader.read(topic, { from: new Map([[0, '4']]), keep: (r) => r.offset === '4', limit: 1 });
    assert.equal(hit?.value?.toString(), 'v4');
    assert.equal(rest.length, 0);
    // Each read's consumer group is removed afterwards: nothing piles up in `kafka-consumer-groups --list`.
    assert.deepEqual(
      (await admin.groupIds()).filter((g) => g.startsWith('vigil-cli-reader-') && !groupsBefore.has(g)),
      [],
    );
  });

  it('names the command that creates a missing topic', async () => {
    await assert.rejects(
      reader.read(uniqueName('admin-it-missing')),
      (err: unknown) =>
        err instanceof KafkaAdminException && err.code === KafkaAdminErrorCode.TOPIC_MISSING && /topics apply/.test(err.message),
    );
  });
});
