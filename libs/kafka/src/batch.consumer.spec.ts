import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import pino from 'pino';
import { BatchConsumer, type PartitionBatch } from './batch.consumer';

type JoinListener = (event: { payload: { memberAssignment: Record<string, number[]> } }) => void;

/** A kafkajs consumer double: the test drives eachBatch and the group's joins, and sees resolves, seeks and commits. */
function fakeKafka() {
  const log: string[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const joins: JoinListener[] = [];
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join' },
    on: (_event: string, listener: JoinListener) => {
      joins.push(listener);
      return () => undefined;
    },
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (options: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = options.eachBatch;
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
    seek: ({ partition, offset }: { topic: string; partition: number; offset: string }) => log.push(`seek ${partition}@${offset}`),
    pause: () => undefined,
    resume: () => undefined,
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const deliver = (first: number, count: number): Promise<void> => {
    assert.ok(eachBatch, 'consumer running');
    const messages = Array.from({ length: count }, (_, i) => ({ offset: String(first + i), key: null, value: Buffer.from('v') }));
    return eachBatch({
      batch: { topic: 't', partition: 0, messages },
      resolveOffset: (offset: string) => log.push(`resolve ${offset}`),
      commitOffsetsIfNecessary: (offsets: { topics: { partitions: { offset: string }[] }[] }) => {
        log.push(`commit ${offsets.topics[0]?.partitions[0]?.offset ?? '?'}`);
        return Promise.resolve();
      },
      heartbeat: () => Promise.resolve(),
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  const join = (assignment: Record<string, number[]>): void => {
    for (const listener of joins) listener({ payload: { memberAssignment: assignment } });
  };
  return { kafka, log, deliver, join };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(BatchConsumer.name, () => {
  it('resolves a released batch at once and commits it once its work is done', async () => {
    const { kafka, log, deliver } = fakeKafka();
    let done: () => void = () => undefined;
    const consumer = new BatchConsumer(
      kafka,
      { groupId: 'g', topics: ['t'] },
      (batch: PartitionBatch) => {
        batch.release();
        return new Promise<void>((resolve) => (done = resolve));
      },
      pino({ level: 'silent' }),
    );
    await consumer.start();
    await deliver(0, 5);
    assert.deepEqual(log, ['resolve 4'], 'eachBatch returned with the batch resolved and nothing committed');
    done();
    await turn();
    assert.deepEqual(log, ['resolve 4', 'commit 5']);
  });

  it('after a rejoin, reads a partition it kept again from its released work not committed, and commits none of it', async () => {
    const { kafka, log, deliver, join } = fakeKafka();
    const gates: (() => void)[] = [];
    const consumer = new BatchConsumer(
      kafka,
      { groupId: 'g', topics: ['t'] },
      (batch: PartitionBatch) => {
        batch.release();
        return new Promise<void>((resolve) => gates.push(resolve));
      },
      pino({ level: 'silent' }),
    );
    await consumer.start();
    join({ t: [0] });
    await deliver(10, 5);
    // The rebalance comes while the released batch is still being delivered; the partition stays with this consumer.
    join({ t: [0] });
    assert.deepEqual(log, ['resolve 14', 'seek 0@10'], 'kafkajs would fetch from 15 (the resolved offset) without the seek');
    for (const open of gates) open();
    await turn();
    assert.ok(!log.some((l) => l.startsWith('commit')), 'work released before the rejoin commits nothing');
  });

  it('seeks nothing after a rejoin that took the partition away', async () => {
    const { kafka, log, deliver, join } = fakeKafka();
    const consumer = new BatchConsumer(
      kafka,
      { groupId: 'g', topics: ['t'] },
      (batch: PartitionBatch) => {
        batch.release();
        return new Promise<void>(() => undefined);
      },
      pino({ level: 'silent' }),
    );
    await consumer.start();
    await deliver(0, 5);
    join({ t: [1] });
    assert.deepEqual(log, ['resolve 4']);
  });
});
