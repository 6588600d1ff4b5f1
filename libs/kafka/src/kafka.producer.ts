import { CompressionTypes, Partitioners, type Message, type Producer } from 'kafkajs';
import type { KafkaClient } from './kafka.client';

export interface KafkaProducerOptions {
  /** Exactly-once per partition on the broker's side (and one request in flight keeps order across retries). */
  idempotent?: boolean;
  maxInFlightRequests?: number;
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

export interface SendOptions {
  /** -1: every in-sync replica (default), 1: the leader. */
  acks?: -1 | 1;
  compression?: 'none' | 'gzip';
}

/**
 * A producer for libraries outside libs/kafka (SDK, connector status): murmur2 partitioning like every Vigil
 * producer, connected on first use and again after a failed connect.
 */
export class KafkaProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: KafkaClient, options: KafkaProducerOptions = {}) {
    this.producer = kafka.producer({
      ...(options.idempotent !== undefined && { idempotent: options.idempotent }),
      ...(options.maxInFlightRequests !== undefined && { maxInFlightRequests: options.maxInFlightRequests }),
      ...(options.retry !== undefined && { retry: options.retry }),
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    return this.connected;
  }

  /** Sends messages of several topics in one request; resolves once Kafka acknowledged them. */
  async sendBatch(topics: readonly { topic: string; messages: readonly OutgoingMessage[] }[], options: SendOptions = {}): Promise<void> {
    await this.connect();
    await this.producer.sendBatch({
      acks: options.acks ?? -1,
      compression: options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      topicMessages: topics.map(({ topic, messages }) => ({ topic, messages: messages.map((m): Message => ({ ...m })) })),
    });
  }

  send(topic: string, messages: readonly OutgoingMessage[], options: SendOptions = {}): Promise<void> {
    return this.sendBatch([{ topic, messages }], options);
  }

  /** Disconnects if connected; a later send connects again. */
  async disconnect(): Promise<void> {
    if (this.connected === undefined) return;
    this.connected = undefined;
    await this.producer.disconnect();
  }
}
