import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { KafkaClientOptions } from './kafka.client';
import { KafkaProducerErrorCode, KafkaProducerException } from './kafka-producer.exception';
import type { KafkaProducerOptions, OutgoingMessage, SendOptions } from './kafka.producer';

type TopicMessages = readonly { topic: string; messages: readonly OutgoingMessage[] }[];

/** What a producer thread is started with: everything it needs to connect on its own, as plain data. */
export interface ProducerThreadData {
  client: Omit<KafkaClientOptions, 'overrides'> & { retry?: KafkaProducerOptions['retry'] };
  producer: KafkaProducerOptions;
  /** pino level of the thread's log lines (kafkajs' warnings), handed to this thread's logger. */
  logLevel: string;
}

/**
 * A produce request as it crosses to the thread: every value (and every Buffer key) written one after another into
 * one transferred buffer, so a request of 1,000 records costs one copy of their bytes and no clone per record.
 */
export interface ProducerThreadSend {
  type: 'send';
  id: number;
  options: SendOptions;
  topics: string[];
  /** Records of each topic, in `topics` order. */
  counts: number[];
  /** Each record's key: text, or `[start, end)` of `body` for a Buffer key, or null. */
  keys: (string | [number, number] | null)[];
  /** Each record's value: `[start, end)` of `body`, or null (a tombstone); a string value is sent as its UTF-8. */
  values: ([number, number] | null)[];
  headers: (Record<string, string> | null)[];
  body: ArrayBuffer;
}

export type ProducerThreadRequest = ProducerThreadSend | { type: 'connect' | 'disconnect'; id: number };

export type ProducerThreadReply =
  { type: 'reply'; id: number; error?: { name: string; message: string; code?: KafkaProducerErrorCode } } | { type: 'log'; line: string };

/** Packs a produce request for the thread (exported for its spec). */
export function packRequest(id: number, topics: TopicMessages, options: SendOptions): ProducerThreadSend {
  let size = 0;
  for (const { messages } of topics) {
    for (const m of messages) {
      if (Buffer.isBuffer(m.key)) size += m.key.length;
      if (m.value !== null) size += Buffer.isBuffer(m.value) ? m.value.length : Buffer.byteLength(m.value);
    }
  }
  const body = Buffer.allocUnsafeSlow(size);
  const keys: ProducerThreadSend['keys'] = [];
  const values: ProducerThreadSend['values'] = [];
  const headers: ProducerThreadSend['headers'] = [];
  let at = 0;
  const put = (bytes: Buffer | string): [number, number] => {
    const start = at;
    at += Buffer.isBuffer(bytes) ? bytes.copy(body, at) : body.write(bytes, at);
    return [start, at];
  };
  for (const { messages } of topics) {
    for (const m of messages) {
      keys.push(m.key === null || typeof m.key === 'string' ? m.key : put(m.key));
      values.push(m.value === null ? null : put(m.value));
      headers.push(m.headers ?? null);
    }
  }
  return {
    type: 'send',
    id,
    options,
    topics: topics.map((t) => t.topic),
    counts: topics.map((t) => t.messages.length),
    keys,
    values,
    headers,
    body: body.buffer,
  };
}

/** The request's topics and records again, on the thread: keys and values are views of the one transferred buffer. */
export function unpackRequest(request: ProducerThreadSend): { topic: string; messages: OutgoingMessage[] }[] {
  const body = Buffer.from(request.body);
  const view = (range: [number, number]): Buffer => body.subarray(range[0], range[1]);
  let index = 0;
  return request.topics.map((topic, t) => {
    const count = request.counts[t] ?? 0;
    const messages: OutgoingMessage[] = new Array<OutgoingMessage>(count);
    for (let i = 0; i < count; i++, index++) {
      const key = request.keys[index] ?? null;
      const value = request.values[index] ?? null;
      const headers = request.headers[index] ?? null;
      messages[i] = {
        key: key === null || typeof key === 'string' ? key : view(key),
        value: value === null ? null : view(value),
        ...(headers !== null && { headers }),
      };
    }
    return { topic, messages };
  });
}

interface Waiting {
  resolve(): void;
  reject(err: Error): void;
}

/** One producer thread and the requests it holds, by id. */
interface Thread {
  worker: Worker;
  pending: Map<number, Waiting>;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

/**
 * The standard pino level at or below a logger's level value (pino's 10, 20 ... 60), so the thread's own plain pino
 * accepts it whatever custom levels the caller's logger has; `silent` above fatal.
 */
export function standardLevel(levelValue: number): Level | 'silent' {
  if (levelValue > 60) return 'silent';
  return LEVELS[Math.max(0, Math.min(5, Math.floor(levelValue / 10) - 1))] ?? 'info';
}

/**
 * KafkaProducer on a worker thread of its own (the SDK's `producerThread`): the same requests, retries, splitting of
 * a request the broker refuses as too large, and errors (KafkaProducerException is rebuilt on this side), while
 * kafkajs' work (encoding record batches, CRCs, the sockets: 25-40 µs per record here) runs off the calling thread.
 *
 * The thread opens its own connections from `ProducerThreadData`, so it needs the brokers and security as data; a
 * kafkajs client made on this thread cannot move to it. Each request is answered once: with the thread's answer, or
 * rejected when its thread fails or exits (the SDK rejects it with KAFKA_UNAVAILABLE, as it would a broker outage);
 * the next request starts a new thread. A request takes as long as KafkaProducer's retries on the thread allow, as it
 * would on this one. The thread keeps the process alive only while it holds requests.
 *
 * Its entry is the compiled `producer-thread.bootstrap.js` beside this file: a bundler must keep it as a file.
 */
export class ThreadedKafkaProducer {
  private thread: Thread | undefined;
  private nextId = 0;

  constructor(
    private readonly data: ProducerThreadData,
    private readonly logger: Logger,
  ) {}

  connect(): Promise<void> {
    return this.request((id) => ({ type: 'connect', id }));
  }

  sendBatch(topics: TopicMessages, options: SendOptions = {}): Promise<void> {
    return this.request((id) => packRequest(id, topics, options));
  }

  /**
   * Disconnects the thread's producer once the requests it holds are answered, and ends the thread. A request made
   * meanwhile or later starts a new thread, as a request after KafkaProducer.disconnect() connects again.
   */
  async disconnect(): Promise<void> {
    const thread = this.thread;
    if (thread === undefined) return;
    this.thread = undefined;
    try {
      await this.request((id) => ({ type: 'disconnect', id }), thread);
    } finally {
      // Its exit rejects whatever it still held (nothing, unless the disconnect itself failed).
      await thread.worker.terminate();
    }
  }

  private request(make: (id: number) => ProducerThreadRequest, thread: Thread = this.thread ?? this.spawn()): Promise<void> {
    const message = make(this.nextId++);
    return new Promise<void>((resolve, reject) => {
      thread.pending.set(message.id, { resolve, reject });
      if (thread.pending.size === 1) thread.worker.ref();
      try {
        thread.worker.postMessage(message, message.type === 'send' ? [message.body] : []);
      } catch (err) {
        this.settle(thread, message.id, err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private settle(thread: Thread, id: number, err?: Error): void {
    const waiting = thread.pending.get(id);
    if (waiting === undefined) return;
    thread.pending.delete(id);
    if (thread.pending.size === 0) thread.worker.unref();
    if (err === undefined) waiting.resolve();
    else waiting.reject(err);
  }

  private spawn(): Thread {
    const worker = new Worker(path.join(__dirname, 'producer-thread.bootstrap.js'), { workerData: this.data });
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (reply: ProducerThreadReply) => {
      if (reply.type === 'log') this.log(reply.line);
      else this.settle(thread, reply.id, reply.error === undefined ? undefined : rebuildError(reply.error));
    });
    worker.on('messageerror', (err: Error) => {
      // An answer that could not be read leaves its request unanswered: the thread is ended, so all of them fail.
      this.logger.error({ err: err.message }, 'an answer of the producer thread could not be read; ending the thread');
      void worker.terminate();
    });
    worker.on('error', (err: Error) => {
      this.logger.error({ err: err.message }, 'the producer thread failed; its requests fail and the next starts a new one');
      this.failAll(thread, new Error(`the producer thread failed: ${err.message}`));
    });
    worker.on('exit', (code) => this.failAll(thread, new Error(`the producer thread exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the thread's port again.
    worker.unref();
    this.thread = thread;
    return thread;
  }

  /** Rejects every request the thread still holds, whether or not it is still the current one. */
  private failAll(thread: Thread, err: Error): void {
    if (this.thread === thread) this.thread = undefined;
    for (const id of [...thread.pending.keys()]) this.settle(thread, id, err);
  }

  /** A log line of the thread's pino logger, logged again by this one at its level. */
  private log(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.logger.warn({ line }, 'producer thread');
      return;
    }
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = entry;
    const at = typeof level === 'number' ? standardLevel(level) : 'info';
    if (at === 'silent') return;
    this.logger[at]({ ...fields, thread: 'producer' }, typeof msg === 'string' ? msg : 'producer thread');
  }
}

function rebuildError(error: { name: string; message: string; code?: KafkaProducerErrorCode }): Error {
  if (error.name === 'KafkaProducerException')
    return new KafkaProducerException(error.code ?? KafkaProducerErrorCode.RECORD_TOO_LARGE, error.message);
  return Object.assign(new Error(error.message), { name: error.name });
}
