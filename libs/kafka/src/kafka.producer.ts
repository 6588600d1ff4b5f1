import { setTimeout as delay } from 'node:timers/promises';
import { CompressionTypes, Partitioners, type Message, type Producer, type ProducerConfig } from 'kafkajs';
import { errorChain } from '@vigil/common';
import type { KafkaClient } from './kafka.client';
import { KafkaProducerErrorCode, KafkaProducerException } from './kafka-producer.exception';
import { recordBytes } from './record-size.util';

export interface KafkaProducerOptions {
  /** One request in flight (per broker) keeps each partition's records in order across Vigil's retries. */
  maxInFlightRequests?: number;
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

type TopicMessages = readonly { topic: string; messages: readonly OutgoingMessage[] }[];

// What the broker answers when a partition's record batch is over message.max.bytes (10) or its segment size (18).
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** True when kafkajs failed the request because the broker refused a batch as too large (the type may sit in a cause). */
function isTooLarge(err: unknown): boolean {
  return [...errorChain(err)].some((e) => typeof e.type === 'string' && TOO_LARGE.has(e.type));
}

/** The first `count` messages of the request and the rest, each topic's messages kept in order. */
function splitAt(topics: TopicMessages, count: number): [TopicMessages, TopicMessages] {
  const head: { topic: string; messages: readonly OutgoingMessage[] }[] = [];
  const tail: { topic: string; messages: readonly OutgoingMessage[] }[] = [];
  let left = count;
  for (const { topic, messages } of topics) {
    const taken = Math.min(left, messages.length);
    left -= taken;
    if (taken > 0) head.push({ topic, messages: messages.slice(0, taken) });
    if (taken < messages.length) tail.push({ topic, messages: messages.slice(taken) });
  }
  return [head, tail];
}

export interface SendOptions {
  /** -1: every in-sync replica (default), 1: the leader. */
  acks?: -1 | 1;
  compression?: 'none' | 'gzip';
}

/**
 * Whether a send failed for a reason that passes (a leader moving, a broker restarting, a connection dropped). kafkajs
 * runs with no retries of its own here (see KafkaProducer), so it reports such a failure as the retries exhausted.
 */
function isRetriable(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  return (
    name === 'KafkaJSNumberOfRetriesExceeded' ||
    name === 'KafkaJSConnectionError' ||
    name === 'KafkaJSConnectionClosedError' ||
    name === 'KafkaJSRequestTimeoutError' ||
    name === 'KafkaJSMetadataNotLoaded' ||
    (err as { retriable?: unknown }).retriable === true
  );
}

/**
 * A producer for libraries outside libs/kafka (SDK, connector status, dead letters): murmur2 partitioning like every
 * Vigil producer, connected on first use and again after a failed connect. A request the broker refuses as too large
 * is split in two and sent again, half after half, until every record went through: only one record that is
 * too large on its own fails (RECORD_TOO_LARGE).
 *
 * Retries are Vigil's, of the whole request, never kafkajs'. kafkajs 2.2.4 retries a multi-broker request only to the
 * brokers that have not answered yet: when a partition's leader moves to a broker that already answered for its
 * own partitions, that partition's records are never sent, and the send resolves anyway (kafkajs issue #1303). The
 * chaos suite's leader-kill scenario lost 21 of 13,475 acknowledged events that way. Sent again whole, records that
 * had been written are written twice, which every consumer absorbs (the store and the SIEMs deduplicate by event id).
 * kafkajs refuses an idempotent producer without retries of its own, so this producer is not idempotent: Kafka's
 * duplicate detection would only have saved the copies that event ids already make harmless.
 */
export class KafkaProducer {
  private producer: Producer;
  private readonly config: ProducerConfig;
  private connected: Promise<void> | undefined;
  private readonly retry: { retries: number; initialRetryTime: number; maxRetryTime: number };
  /** How many times a request was split because the broker refused it as too large (for logs and tests). */
  splits = 0;

  constructor(
    private readonly kafka: KafkaClient,
    options: KafkaProducerOptions = {},
  ) {
    this.config = {
      // Not kafkajs' idempotent producer: it insists on retrying inside kafkajs, which is where records are lost
      // (see above). A request sent again whole may write records twice; never out of order, with one in flight.
      idempotent: false,
      ...(options.maxInFlightRequests !== undefined && { maxInFlightRequests: options.maxInFlightRequests }),
      retry: { ...options.retry, retries: 0 },
      createPartitioner: Partitioners.DefaultPartitioner,
    };
    this.retry = {
      retries: options.retry?.retries ?? 5,
      initialRetryTime: options.retry?.initialRetryTime ?? 300,
      maxRetryTime: options.retry?.maxRetryTime ?? 30_000,
    };
    this.producer = kafka.producer(this.config);
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  /**
   * Sends messages of several topics in one request; resolves once Kafka acknowledged them all. When the broker
   * refuses the request as too large, it is split and sent again (one request in flight at a time, each topic's
   * messages in order); throws KafkaProducerException(RECORD_TOO_LARGE) only for a single record over the limit.
   */
  async sendBatch(topics: TopicMessages, options: SendOptions = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sendWhole(topics, options);
        return;
      } catch (err) {
        if (!isRetriable(err) || attempt >= this.retry.retries) throw err;
        // kafkajs refreshed the metadata before it gave up: the next attempt goes to the partitions' new leaders.
        const backoff = Math.min(this.retry.maxRetryTime, this.retry.initialRetryTime * 2 ** attempt);
        await delay(backoff * (0.8 + Math.random() * 0.4));
      }
    }
  }

  private async sendWhole(topics: TopicMessages, options: SendOptions): Promise<void> {
    await this.connect();
    try {
      await this.producer.sendBatch({
        acks: options.acks ?? -1,
        compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: topics.map(({ topic, messages }) => ({ topic, messages: messages.map((m): Message => ({ ...m })) })),
      });
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      const count = topics.reduce((n, t) => n + t.messages.length, 0);
      if (count <= 1) {
        const message = topics[0]?.messages[0];
        const bytes = message === undefined ? 0 : recordBytes(message);
        throw new KafkaProducerException(
          KafkaProducerErrorCode.RECORD_TOO_LARGE,
          `a record of ${bytes} bytes is larger than the broker or topic accepts (message.max.bytes, max.message.bytes)`,
          { cause: err },
        );
      }
      this.splits++;
      await this.renew();
      const [head, tail] = splitAt(topics, Math.ceil(count / 2));
      await this.sendBatch(head, options);
      await this.sendBatch(tail, options);
    }
  }

  send(topic: string, messages: readonly OutgoingMessage[], options: SendOptions = {}): Promise<void> {
    return this.sendBatch([{ topic, messages }], options);
  }

  /**
   * A fresh producer before the halves of a refused request are sent: the refused request may have been appended on
   * its other partitions, so its halves are accepted at worst once more (consumers dedup by event id).
   */
  private async renew(): Promise<void> {
    const old = this.producer;
    this.producer = this.kafka.producer(this.config);
    this.connected = undefined;
    await old.disconnect().catch(() => undefined);
    await this.connect();
  }

  /** Disconnects if connected; a later send connects again. */
  async disconnect(): Promise<void> {
    if (this.connected === undefined) return;
    this.connected = undefined;
    await this.producer.disconnect();
  }
}
