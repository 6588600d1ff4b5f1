import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { packRequest, standardLevel, ThreadedKafkaProducer, unpackRequest } from './threaded-kafka.producer';

describe('the producer thread’s request packing', () => {
  it('carries every record of every topic across, in order, keys, values and headers as they were', () => {
    const topics = [
      {
        topic: 'audit.authentication',
        messages: [
          { key: 'tenant-a', value: Buffer.from([0, 1, 2, 255]), headers: { 'vigil-event-id': 'id-1' } },
          { key: Buffer.from('binary-key'), value: 'text value, ünïcode' },
          { key: null, value: null },
        ],
      },
      { topic: 'audit.role-privilege', messages: [{ key: 'tenant-b', value: Buffer.alloc(0), headers: { a: '1', b: '2' } }] },
    ];
    const packed = packRequest(7, topics, { acks: -1, compression: 'gzip' });
    assert.equal(packed.id, 7);
    assert.deepEqual(packed.options, { acks: -1, compression: 'gzip' });
    // One buffer for every key and value, as the bytes Kafka gets (a string value as its UTF-8).
    assert.equal(packed.body.byteLength, 4 + 'binary-key'.length + Buffer.byteLength('text value, ünïcode'));

    const unpacked = unpackRequest(structuredClone(packed));
    assert.deepEqual(
      unpacked.map((t) => t.topic),
      ['audit.authentication', 'audit.role-privilege'],
    );
    const [auth, role] = unpacked;
    assert.deepEqual(auth?.messages[0], { key: 'tenant-a', value: Buffer.from([0, 1, 2, 255]), headers: { 'vigil-event-id': 'id-1' } });
    assert.deepEqual(auth?.messages[1], { key: Buffer.from('binary-key'), value: Buffer.from('text value, ünïcode') });
    assert.deepEqual(auth?.messages[2], { key: null, value: null });
    assert.deepEqual(role?.messages, [{ key: 'tenant-b', value: Buffer.alloc(0), headers: { a: '1', b: '2' } }]);
  });

  it('hands the values over as views of the one buffer, not copies', () => {
    const packed = packRequest(
      1,
      [
        {
          topic: 't',
          messages: [
            { key: 'k', value: Buffer.from('abc') },
            { key: 'k', value: Buffer.from('def') },
          ],
        },
      ],
      {},
    );
    const [topic] = unpackRequest(packed);
    const [first, second] = topic?.messages ?? [];
    assert.ok(Buffer.isBuffer(first?.value) && Buffer.isBuffer(second?.value));
    assert.equal(first.value.buffer, second.value.buffer);
    assert.equal(Buffer.concat([first.value, second.value]).toString(), 'abcdef');
  });
});

describe('ThreadedKafkaProducer', () => {
  // Nothing listens on port 1: every connect is refused at once, so these need no broker.
  const unreachable = (): ThreadedKafkaProducer =>
    new ThreadedKafkaProducer(
      {
        client: { brokers: ['127.0.0.1:1'], clientId: 'threaded-spec', retry: { retries: 0 } },
        producer: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 200 } },
        logLevel: 'silent',
      },
      pino({ level: 'silent' }),
    );
  const request = [{ topic: 't', messages: [{ key: 'k', value: Buffer.from('v') }] }];

  it(
    'answers a send the disconnect overtook instead of dropping it; sends during and after it start a new thread',
    { timeout: 30_000 },
    async () => {
      const producer = unreachable();
      const send = producer.sendBatch(request);
      const disconnected = producer.disconnect();
      // A send made while the disconnect waits goes to a new thread, as a send after a disconnect connects again.
      const during = assert.rejects(producer.sendBatch(request), /ECONNREFUSED|Connection error|connect/i);
      await assert.rejects(send, /ECONNREFUSED|Connection error|connect/i);
      await disconnected;
      await during;
      // The next request goes to a new thread, and is answered too.
      await assert.rejects(producer.sendBatch(request), /ECONNREFUSED|Connection error|connect/i);
      await producer.disconnect();
    },
  );

  it('rejects what a thread held when the thread ends', { timeout: 30_000 }, async () => {
    const producer = unreachable();
    const sends = [producer.sendBatch(request), producer.sendBatch(request)];
    // Ended from outside, as a crash would: both requests fail with the reason rather than hang.
    const worker = (producer as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread.worker;
    await worker.terminate();
    for (const send of sends) await assert.rejects(send, /the producer thread exited/);
  });

  it('gives the thread a standard level for any logger level, custom ones included', () => {
    assert.equal(standardLevel(10), 'trace');
    assert.equal(standardLevel(30), 'info');
    assert.equal(standardLevel(35), 'info');
    assert.equal(standardLevel(40), 'warn');
    assert.equal(standardLevel(60), 'fatal');
    assert.equal(standardLevel(Infinity), 'silent');
  });
});
