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
