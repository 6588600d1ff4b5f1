import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createKafka, KafkaProducer, KafkaProducerErrorCode, KafkaProducerException, ThreadedKafkaProducer } from '@vigil/kafka';
import { collectFrom, endOffsets, requireStack, testEnv, uniqueName } from '@vigil/testing';

const logger = pino({ level: 'silent' });
const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'kafka-producer-int-spec' }, logger);
const admin = kafka.admin();

// KafkaProducer, and the same on a worker thread of its own (the SDK's producerThread): the thread's producer splits,
// and its refusal of a record that is too large on its own crosses back as the same KafkaProducerException.
const producers = {
  [KafkaProducer.name]: () => new KafkaProducer(kafka, { maxInFlightRequests: 1 }),
  [ThreadedKafkaProducer.name]: () =>
    new ThreadedKafkaProducer(
      {
        client: { brokers: testEnv.kafkaBrokers, clientId: 'kafka-producer-int-spec-thread' },
        producer: { maxInFlightRequests: 1 },
        logLevel: 'silent',
      },
      logger,
    ),
};

before(async () => {
  await requireStack(['kafka']);
  await admin.connect();
});
after(async () => {
  await admin.disconnect();
});

for (const [name, create] of Object.entries(producers))
  describe(name, () => {
    it('splits a request the broker refuses as too large until every record is on the topic, in order', async () => {
      const topic = uniqueName('producer-split');
      // A topic that takes at most 4 KiB per record batch: 200 records of ~200 bytes are 40 KiB.
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '4096' }] }],
        waitForLeaders: true,
      });
      const producer = create();
      try {
        const from = await endOffsets(admin, [topic]);
        const messages = Array.from({ length: 200 }, (_, i) => ({
          key: `tenant-${i % 2}`,
          value: Buffer.from(`${String(i).padStart(4, '0')}${'x'.repeat(196)}`),
          headers: { 'vigil-event-id': `id-${i}` },
        }));
        await producer.sendBatch([{ topic, messages }]);
        if (producer instanceof KafkaProducer) assert.ok(producer.splits > 0, 'the broker refused the first request');
        const records = await collectFrom(kafka, from, (c) => new Set(c.map((r) => r.message.value?.toString())).size >= 200);
        for (const tenant of ['tenant-0', 'tenant-1']) {
          const seen = records
            .filter((r) => r.message.key?.toString() === tenant)
            .map((r) => Number(r.message.value?.toString().slice(0, 4)));
          const firsts = seen.filter((n, i) => seen.indexOf(n) === i);
          assert.deepEqual(
            firsts,
            [...firsts].sort((a, b) => a - b),
            `${tenant}'s records in order`,
          );
          assert.equal(firsts.length, 100);
        }

        const tooBig = { key: 'tenant-0', value: Buffer.alloc(8192) };
        await assert.rejects(
          producer.sendBatch([{ topic, messages: [tooBig] }]),
          (err: unknown) => err instanceof KafkaProducerException && err.code === KafkaProducerErrorCode.RECORD_TOO_LARGE,
        );
      } finally {
        await producer.disconnect();
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      }
    });
  });
