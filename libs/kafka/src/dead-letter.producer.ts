import { Partitioners, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { Clock } from '@vigil/common';

export const DEAD_LETTER_TOPIC = 'audit.dlq';

/** Headers a dead letter carries, so an operator (and `vigil dlq`) can tell what, where from and why. */
export const DLQ_HEADERS = {
  reason: 'vigil-dlq-reason',
  detail: 'vigil-dlq-detail',
  consumer: 'vigil-dlq-consumer',
  originTopic: 'vigil-dlq-origin-topic',
  originPartition: 'vigil-dlq-origin-partition',
  originOffset: 'vigil-dlq-origin-offset',
  eventId: 'vigil-dlq-event-id',
  time: 'vigil-dlq-time',
} as const;

export interface DeadLetter {
  origin: { topic: string; partition: number; offset: string };
  key: Buffer | null;
  /** The original message value, untouched, so it can be redriven once the cause is fixed. */
  value: Buffer | null;
  /** A short machine-readable reason, e.g. `framing`, `unknown-schema`, `avro`, `envelope`, `rejected-by-siem`. */
  reason: string;
  /** The human explanation (no secrets, no payload). */
  detail: string;
  eventId?: string;
}

/** Writes undeliverable or undecodable messages to `audit.dlq` (acks=all), so a partition never blocks on one. */
export class DeadLetterProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    /** The consumer writing the letters, e.g. `vigil-materializer` or `vigil-connector-splunk-eu`. */
    private readonly consumer: string,
    private readonly topic = DEAD_LETTER_TOPIC,
    private readonly clock: Clock = new Clock(),
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    const now = this.clock.now().toISOString();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => {
        const headers: IHeaders = {
          [DLQ_HEADERS.reason]: l.reason,
          [DLQ_HEADERS.detail]: l.detail.slice(0, 2000),
          [DLQ_HEADERS.consumer]: this.consumer,
          [DLQ_HEADERS.originTopic]: l.origin.topic,
          [DLQ_HEADERS.originPartition]: String(l.origin.partition),
          [DLQ_HEADERS.originOffset]: l.origin.offset,
          [DLQ_HEADERS.time]: now,
        };
        if (l.eventId !== undefined) headers[DLQ_HEADERS.eventId] = l.eventId;
        return { key: l.key, value: l.value, headers };
      }),
    });
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.producer.disconnect();
    this.connected = undefined;
  }
}
