import type { OffsetMap, PartitionWatermarks } from './kafka-client.types';

/** Where a group without a committed offset on a partition starts reading. */
export type StartFrom = 'earliest' | 'latest';

/**
 * Messages of a topic the group has not committed yet: per partition from its committed offset (or, with none,
 * from the earliest or latest offset as the consumer would start) to the high watermark.
 */
export function topicLag(
  watermarks: readonly PartitionWatermarks[],
  committed: ReadonlyMap<number, string> | undefined,
  startFrom: StartFrom,
): number {
  let sum = 0n;
  for (const { partition, low, high } of watermarks) {
    const from = committed?.get(partition) ?? (startFrom === 'earliest' ? low : high);
    if (BigInt(high) > BigInt(from)) sum += BigInt(high) - BigInt(from);
  }
  return Number(sum);
}

/** Where a group stands on a partition: its committed offset, but never before the earliest retained one. */
export function positionOf(committed: string | undefined, low: string): string {
  if (committed === undefined) return low;
  return BigInt(committed) > BigInt(low) ? committed : low;
}

/** True when every partition of `end` is reached by `position`. */
export function reached(position: OffsetMap, end: OffsetMap): boolean {
  return [...end].every(([topic, ends]) => [...ends].every(([p, e]) => BigInt(position.get(topic)?.get(p) ?? '0') >= BigInt(e)));
}
