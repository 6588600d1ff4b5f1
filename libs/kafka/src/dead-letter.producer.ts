import { Clock } from '@vigil/common';
import type { KafkaClient } from './kafka.client';
import { KafkaProducer } from './kafka.producer';

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
  private readonly producer: KafkaProducer;

  constructor(
    kafka: KafkaClient,
    /** The consumer writing the letters, e.g. `vigil-materializer` or `vigil-connector-splunk-eu`. */
    private readonly consumer: string,
    private readonly topic = DEAD_LETTER_TOPIC,
    private readonly clock: Clock = new Clock(),
  ) {
    this.producer = new KafkaProducer(kafka, { maxInFlightRequests: 1 });
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = this.clock.now().toISOString();
    await this.producer.send(
      this.topic,
      letters.map((l) => {
        const headers: Record<string, string> = {
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
      { acks: -1 },
    );
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
