import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type ProducerBatch } from 'kafkajs';
import type { KafkaClient } from './kafka.client';
import { KafkaProducer } from './kafka.producer';

/** A kafkajs client whose producer fails the first `failures` sends with `error`, recording each request. */
function fakeKafka(failures: number, error: Error): { kafka: KafkaClient; requests: ProducerBatch[]; retriesGiven: unknown[] } {
  const requests: ProducerBatch[] = [];
  const retriesGiven: unknown[] = [];
  let left = failures;
  const kafka = {
    producer: (config: { retry?: { retries?: number } }) => {
      retriesGiven.push(config.retry?.retries);
      return {
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: (batch: ProducerBatch) => {
          requests.push(batch);
          if (left-- > 0) return Promise.reject(error);
          return Promise.resolve([]);
        },
      };
    },
  };
  // Only the three producer methods KafkaProducer calls are faked; the cast says so.
  return { kafka: kafka as unknown as KafkaClient, requests, retriesGiven };
}

const batch = [
  { topic: 'audit.authentication', messages: [{ key: 'tenant-a', value: 'a' }] },
  { topic: 'audit.authentication', messages: [{ key: 'tenant-b', value: 'b' }] },
];

describe('KafkaProducer retries', () => {
  it('sends the whole request again after a passing failure, with kafkajs retrying nothing itself (kafkajs #1303)', async () => {
    const leaderMoved = new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSProtocolError('This server is not the leader for that topic-partition'),
      { retryCount: 0, retryTime: 0 },
    );
    const { kafka, requests, retriesGiven } = fakeKafka(2, leaderMoved);
    await new KafkaProducer(kafka, { retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 2 } }).sendBatch(batch);
    assert.deepEqual(retriesGiven, [0]);
    assert.equal(requests.length, 3);
    for (const request of requests)
      assert.deepEqual(
        request.topicMessages?.map((t) => t.messages.map((m) => m.key)),
        [['tenant-a'], ['tenant-b']],
      );
  });

  it('gives up after its retries, and at once on a failure that does not pass', async () => {
    const leaderMoved = new KafkaJSNumberOfRetriesExceeded(new Error('down'), { retryCount: 0, retryTime: 0 });
    const stuck = fakeKafka(10, leaderMoved);
    await assert.rejects(new KafkaProducer(stuck.kafka, { retry: { retries: 2, initialRetryTime: 1, maxRetryTime: 1 } }).sendBatch(batch));
    assert.equal(stuck.requests.length, 3);

    const denied = fakeKafka(10, new KafkaJSNonRetriableError(new Error('TOPIC_AUTHORIZATION_FAILED')));
    await assert.rejects(
      new KafkaProducer(denied.kafka, { retry: { retries: 5, initialRetryTime: 1 } }).sendBatch(batch),
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    assert.equal(denied.requests.length, 1);
  });
});
