import type { Kafka } from 'kafkajs';

/**
 * The client handed to the pieces that still take one (ConnectorRunner, BatchConsumer, DeadLetterProducer): code
 * outside libs/kafka names this alias, never kafkajs, so replacing the client stays a change to this library.
 */
export type KafkaClient = Kafka;

/** Offset per topic and partition (string offsets, as Kafka hands them out). */
export type OffsetMap = Map<string, Map<number, string>>;

/** The low and high watermark of one partition. */
export interface PartitionWatermarks {
  partition: number;
  low: string;
  high: string;
}

/** What Vigil asks of a topic: created with these, partitions only ever grow, configs aligned. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}
