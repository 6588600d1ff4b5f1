// The worker thread of ThreadedKafkaProducer: a KafkaProducer with connections of its own, sending the requests the
// publishing thread packs (packRequest) and answering each with nothing or the error's name, message and code.
// Started by ThreadedKafkaProducer only (workerData: ProducerThreadData). It loads only what producing needs, not the
// library's barrel.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { createKafka } from './kafka.client';
import { KafkaProducerException } from './kafka-producer.exception';
import { KafkaProducer } from './kafka.producer';
import { unpackRequest, type ProducerThreadData, type ProducerThreadReply, type ProducerThreadRequest } from './threaded-kafka.producer';

const port = parentPort;
if (port === null) throw new Error('producer-thread.bootstrap runs as a worker thread of ThreadedKafkaProducer');
const data = workerData as ProducerThreadData;
// The thread's log lines go to the publishing thread, which logs them with its own logger (and its secrets' redaction).
const logger = pino(
  { level: data.logLevel },
  { write: (line: string) => port.postMessage({ type: 'log', line } satisfies ProducerThreadReply) },
);
const { retry, ...client } = data.client;
const producer = new KafkaProducer(createKafka({ ...client, overrides: { retry: retry ?? {} } }, logger), data.producer);

/** Requests being worked on: a disconnect waits for them, so it never cuts off a send that came before it. */
const working = new Set<Promise<void>>();

async function handle(request: ProducerThreadRequest): Promise<void> {
  switch (request.type) {
    case 'connect':
      return producer.connect();
    case 'disconnect':
      await Promise.allSettled([...working]);
      return producer.disconnect();
    case 'send':
      return producer.sendBatch(unpackRequest(request), request.options);
  }
}

port.on('message', (request: ProducerThreadRequest) => {
  const work = handle(request);
  if (request.type !== 'disconnect') {
    working.add(work);
    void work.catch(() => undefined).finally(() => working.delete(work));
  }
  work.then(
    () => port.postMessage({ type: 'reply', id: request.id } satisfies ProducerThreadReply),
    (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      port.postMessage({
        type: 'reply',
        id: request.id,
        error: { name: error.name, message: error.message, ...(err instanceof KafkaProducerException && { code: err.code }) },
      } satisfies ProducerThreadReply);
    },
  );
});
