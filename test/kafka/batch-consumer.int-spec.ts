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

/** Separate sends: separate record batches, which a consumer with a tiny maxBytesPerPartition fetches one at a time. */
async function produceBatches(topic: string, batches: number, size: number): Promise<void> {
  for (let b = 0; b < batches; b++) await produce(topic, size, b * size);
}

/** A gate per key that a test opens (or fails) by hand. */
function gates(): { wait(key: string): Promise<void>; open(key: string): void; fail(key: string, err: Error): void } {
  const all = new Map<string, { promise: Promise<void>; resolve(): void; reject(err: Error): void }>();
  const of = (key: string) => {
    let gate = all.get(key);
    if (gate === undefined) {
      let resolve: () => void = () => undefined;
      let reject: (err: Error) => void = () => undefined;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      gate = { promise, resolve, reject };
      all.set(key, gate);
    }
    return gate;
  };
  return { wait: (key) => of(key).promise, open: (key) => of(key).resolve(), fail: (key, err) => of(key).reject(err) };
}

const settle = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('fetches the next batch of a partition while a released one is still worked on, one ahead at most, and commits them in order', async () => {
    const topic = uniqueName('batch-release');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produceBatches(topic, 3, 5);
    const started: string[] = [];
    const gate = gates();
    const consumer = new BatchConsumer(
      kafka,
      { groupId, topics: [topic], maxBytesPerPartition: 64 },
      async (batch: PartitionBatch) => {
        const first = batch.messages[0]?.offset ?? '';
        started.push(first);
        batch.release();
        await gate.wait(first);
      },
      logger,
    );
    await consumer.start();
    try {
      await waitFor(
        () => started,
        (s) => s.length >= 2,
        'the second batch to be handed over while the first is in hand',
      );
      await settle();
      assert.deepEqual(started, ['0', '5'], 'one batch ahead, no more');
      gate.open('5');
      await settle();
      assert.equal(await committed(groupId, topic), '-1', 'a batch is not committed before the one ahead of it');
      gate.open('0');
      await waitFor(
        () => committed(groupId, topic),
        (o) => o === '10',
        'both batches to be committed',
      );
      await waitFor(
        () => started,
        (s) => s.length === 3,
        'the third batch',
      );
      gate.open('10');
      await waitFor(
        () => committed(groupId, topic),
        (o) => o === '15',
        'the third batch to be committed',
      );
      assert.deepEqual(started, ['0', '5', '10']);
    } finally {
      await consumer.stop();
    }
    await admin.deleteTopics({ topics: [topic] });
  });

  it('reads a partition again from a released batch that failed, and commits nothing of the batch handed over after it', async () => {
    const topic = uniqueName('batch-release-fail');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produceBatches(topic, 2, 5);
    const seen: string[] = [];
    const committedAtRetry: (string | undefined)[] = [];
    const gate = gates();
    let after: PartitionBatch | undefined;
    const consumer = new BatchConsumer(
      kafka,
      { groupId, topics: [topic], maxBytesPerPartition: 64, retry: { initialMs: 50, maxMs: 100 } },
      async (batch: PartitionBatch) => {
        const first = batch.messages[0]?.offset ?? '';
        seen.push(`${first}#${batch.attempt}`);
        if (batch.attempt > 0) {
          committedAtRetry.push(await committed(groupId, topic));
          return;
        }
        batch.release();
        if (first === '5') after ??= batch;
        await gate.wait(first);
      },
      logger,
    );
    await consumer.start();
    try {
      await waitFor(
        () => seen,
        (s) => s.includes('5#0'),
        'the second batch to be handed over',
      );
      await settle();
      assert.equal(after?.isActive(), true);
      gate.fail('0', new Error('sink down after the release'));
      await settle(50);
      // At once, though the batch after it is still in hand: a store queue drops it rather than store it out of order.
      assert.equal(after?.isActive(), false, 'the batch after a failed one is inactive at once');
      gate.open('5');
      await waitFor(
        () => committed(groupId, topic),
        (o) => o === '10',
        'everything to be committed after the retry',
      );
    } finally {
      await consumer.stop();
    }
    assert.deepEqual(seen.slice(0, 3), ['0#0', '5#0', '0#1'], 'read again from the failed batch, with its attempt counted');
    assert.deepEqual(committedAtRetry[0], '-1', 'the batch done after the failed one was not committed');
    assert.ok(
      seen.slice(3).some((s) => s.startsWith('5#')),
      'the batch after it is read again too',
    );
    await admin.deleteTopics({ topics: [topic] });
  });
});
