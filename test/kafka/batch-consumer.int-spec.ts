import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { BatchConsumer, createRawKafka, createRawProducer, type PartitionBatch } from '@vigil/kafka';
import { requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'batch-consumer-int-spec' }, logger);
const admin = kafka.admin();

async function produce(topic: string, count: number, offset = 0): Promise<void> {
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: 'k', value: String(offset + i) })) });
  await producer.disconnect();
}

async function committed(groupId: string, topic: string): Promise<string | undefined> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions[0]?.offset;
}

describe(BatchConsumer.name, () => {
  before(async () => {
    await requireStack(['kafka']);
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
  });

  it('retries a failing batch in place and commits only after the handler succeeded', async () => {
    const topic = uniqueName('batch-retry');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produce(topic, 10);
    const seen: string[] = [];
    let failures = 0;
    const consumer = new BatchConsumer(
      kafka,
      { groupId, topics: [topic], retry: { initialMs: 50, maxMs: 100 } },
      async (batch: PartitionBatch) => {
        if (failures < 2) {
          failures++;
          assert.equal(await committed(groupId, topic), '-1', 'nothing may be committed while the batch fails');
          throw new Error('sink down');
        }
        seen.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      },
      logger,
    );
    await consumer.start();
    try {
      await waitFor(
        () => committed(groupId, topic),
        (o) => o === '10',
        'offset 10 to be committed',
      );
    } finally {
      await consumer.stop();
    }
    assert.equal(failures, 2);
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    await admin.deleteTopics({ topics: [topic] });
  });

  it('re-delivers a batch whose consumer stopped before committing, and nothing already committed', async () => {
    const topic = uniqueName('batch-redeliver');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produce(topic, 5);
    const first: string[] = [];
    const one = new BatchConsumer(
      kafka,
      { groupId, topics: [topic] },
      (b) => {
        first.push(...b.messages.map((m) => m.value?.toString() ?? ''));
        return Promise.resolve();
      },
      logger,
    );
    await one.start();
    await waitFor(
      () => committed(groupId, topic),
      (o) => o === '5',
      'the first batch to be committed',
    );
    await one.stop();

    await produce(topic, 5, 5);
    // This consumer dies mid-batch: it saw the messages but never finished.
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (release = r));
    let sawSecond = false;
    const dying = new BatchConsumer(
      kafka,
      { groupId, topics: [topic] },
      async () => {
        sawSecond = true;
        await blocked;
        throw new Error('killed');
      },
      logger,
    );
    await dying.start();
    await waitFor(
      () => sawSecond,
      (v) => v,
      'the second batch to be in progress',
    );
    const stopping = dying.stop();
    release();
    await stopping;
    assert.equal(await committed(groupId, topic), '5');

    const second: string[] = [];
    const next = new BatchConsumer(
      kafka,
      { groupId, topics: [topic] },
      (b) => {
        second.push(...b.messages.map((m) => m.value?.toString() ?? ''));
        return Promise.resolve();
      },
      logger,
    );
    await next.start();
    try {
      await waitFor(
        () => committed(groupId, topic),
        (o) => o === '10',
        'the re-delivered batch to be committed',
      );
    } finally {
      await next.stop();
    }
    assert.deepEqual(first, ['0', '1', '2', '3', '4']);
    assert.deepEqual(second, ['5', '6', '7', '8', '9']);
    await admin.deleteTopics({ topics: [topic] });
  });
});
