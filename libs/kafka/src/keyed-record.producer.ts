import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Partitioners, type Producer } from 'kafkajs';
import type { KafkaClient } from './kafka.client';
import { KAFKA } from './kafka.tokens';

/**
 * Writes keyed records to the compacted operations topics (replay checkpoints, connector control) with acks=all
 * and idempotence: a checkpoint or a pause must survive a broker restart. A null value is a tombstone.
 */
@Injectable()
export class KeyedRecordProducer implements OnApplicationShutdown {
  private producer: Producer | undefined;
  private connected: Promise<void> | undefined;

  constructor(@Inject(KAFKA) private readonly kafka: KafkaClient) {}

  async send(topic: string, key: string, value: string | null): Promise<void> {
    this.producer ??= this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    const producer = this.producer;
    this.connected ??= producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connected !== undefined) await this.producer?.disconnect();
    this.connected = undefined;
  }
}
