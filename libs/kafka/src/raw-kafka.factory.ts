import { Partitioners, type Kafka, type Producer } from 'kafkajs';

/**
 * A bare kafkajs producer (idempotent, acks from the caller, Kafka's default partitioner) for benchmarks and tests
 * that must put pre-encoded messages on a topic without the SDK's cost. Never for application code: apps publish
 * through the audit SDK or the dead-letter producer.
 */
export function createRawProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}
