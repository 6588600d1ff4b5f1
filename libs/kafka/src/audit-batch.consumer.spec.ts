import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EachBatchPayload } from 'kafkajs';
import pino from 'pino';
import { ManualClock } from '@vigil/common';
import { EventDecodeException, type AuditEvent } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';
import { AuditBatchConsumer } from './audit-batch.consumer';
import type { AuditBatchHandlerOptions } from './audit-batch.types';
import type { KafkaClient } from './kafka.client';

const codec = {
  decode: (value: Buffer | null): Promise<AuditEvent> =>
    value?.toString() === 'bad'
      ? Promise.reject(new EventDecodeException('not Avro', 'avro'))
      : Promise.resolve(anAuditEvent({ description: value?.toString() ?? '' })),
};

/** A kafkajs client double: one consumer whose eachBatch the test drives, an admin with fixed offsets. */
function fakeKafka(watermarks: { low: string; high: string }, committed = '-1') {
  const commits: string[] = [];
  const pauses: string[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  let onJoin: () => void = () => undefined;
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join' },
    on: (_event: string, listener: () => void) => {
      onJoin = listener;
      return () => undefined;
    },
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (options: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = options.eachBatch;
      onJoin();
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
    pause: (tps: { topic: string; partitions?: number[] }[]) =>
      pauses.push(`pause ${tps.map((t) => `${t.topic}:${t.partitions?.join(',') ?? '*'}`).join(' ')}`),
    resume: (tps: { topic: string; partitions?: number[] }[]) =>
      pauses.push(`resume ${tps.map((t) => `${t.topic}:${t.partitions?.join(',') ?? '*'}`).join(' ')}`),
  };
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    fetchOffsets: () => Promise.resolve([{ topic: 'audit.t', partitions: [{ partition: 0, offset: committed }] }]),
    fetchTopicOffsets: () => Promise.resolve([{ partition: 0, offset: watermarks.high, ...watermarks }]),
  };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as KafkaClient;
  const deliver = async (values: string[], first = 0): Promise<void> => {
    assert.ok(eachBatch, 'consumer running');
    const messages = values.map((v, i) => ({
      offset: String(first + i),
      key: null,
      value: Buffer.from(v),
      timestamp: '0',
      attributes: 0,
      headers: {},
    }));
    await eachBatch({
      batch: { topic: 'audit.t', partition: 0, messages },
      resolveOffset: () => undefined,
      commitOffsetsIfNecessary: (offsets: { topics: { partitions: { offset: string }[] }[] }) => {
        commits.push(offsets.topics[0]?.partitions[0]?.offset ?? '?');
        return Promise.resolve();
      },
      heartbeat: () => Promise.resolve(),
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  return { kafka, commits, deliver, pauses };
}

const options: AuditBatchHandlerOptions = { group: 'g', topics: ['audit.t'], retry: { initialMs: 1, maxMs: 1 } };
const logger = pino({ level: 'silent' });

describe(AuditBatchConsumer.name, () => {
  it('commits a batch only after the handler resolved; a failed attempt pauses only its partition and is read again', async () => {
    const { kafka, commits, deliver, pauses } = fakeKafka({ low: '0', high: '0' });
    const letters: string[] = [];
    let attempts = 0;
    const consumer = new AuditBatchConsumer(
      options,
      () => {
        attempts++;
        assert.deepEqual(commits, [], 'nothing committed while the handler runs');
        return attempts === 1 ? Promise.reject(new Error('transient')) : Promise.resolve({ deadLetters: [] });
      },
      {
        kafka,
        codec,
        deadLetters: {
          send: (l) => {
            letters.push(...l.map((x) => x.reason));
            return Promise.resolve();
          },
        },
        clock: new ManualClock(new Date()),
        logger,
      },
    );
    await consumer.start();
    await deliver(['a', 'bad', 'c'], 5);
    // The attempt returned at once (kafkajs fetches the other partitions again), its partition paused for the backoff.
    assert.equal(attempts, 1);
    assert.deepEqual(commits, []);
    assert.deepEqual(letters, [], 'no letter before the batch succeeds');
    assert.deepEqual(pauses, ['pause audit.t:0']);
    assert.equal(consumer.retrying[0]?.offset, '5');
    assert.equal(consumer.retrying[0]?.failure, 'unknown');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(pauses, ['pause audit.t:0', 'resume audit.t:0']);
    await deliver(['a', 'bad', 'c'], 5);
    assert.equal(attempts, 2);
    assert.deepEqual(commits, ['8']);
    assert.deepEqual(letters, ['avro'], 'dead-lettered once');
    assert.deepEqual(consumer.retrying, []);
    await consumer.stop();
  });

  it('resolves `finished` once a bounded read committed up to the high watermark fixed at start', async () => {
    const { kafka, deliver } = fakeKafka({ low: '0', high: '3' });
    const seen: string[] = [];
    const consumer = new AuditBatchConsumer(
      { ...options, until: 'high-watermark' },
      (batch) => {
        seen.push(...batch.messages.map((m) => m.event.description ?? ''));
        return Promise.resolve();
      },
      { kafka, codec, deadLetters: { send: () => Promise.resolve() }, clock: new ManualClock(new Date()), logger },
    );
    let finished = false;
    void consumer.finished.then(() => (finished = true));
    await consumer.start();
    await deliver(['a', 'b']);
    await new Promise((r) => setImmediate(r));
    assert.equal(finished, false);
    await deliver(['c', 'after-the-end'], 2);
    await consumer.finished;
    assert.deepEqual(seen, ['a', 'b', 'c']);
    await consumer.stop();
  });

  it('measures lag against the committed offsets, timed by the injected clock', async () => {
    const at = new Date('2026-11-20T10:00:00Z');
    const { kafka } = fakeKafka({ low: '0', high: '10' }, '4');
    const consumer = new AuditBatchConsumer(options, () => Promise.resolve(), {
      kafka,
      codec,
      deadLetters: { send: () => Promise.resolve() },
      clock: new ManualClock(at),
      logger,
    });
    const lag = await consumer.measureLag();
    assert.deepEqual(lag, { messages: 6, measuredAt: at });
    assert.deepEqual(consumer.lag, lag);
    await consumer.stop();
  });
});
