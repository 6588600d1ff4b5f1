import { randomUUID } from 'node:crypto';

/**
 * Every consumer group name Vigil uses, in one place: operators see these names in Kafka's tools and in dead-letter
 * headers, and the checkpoints of replay and rebuild are these groups' committed offsets, so they never change.
 */
export const ConsumerGroups = {
  materializer: 'vigil-materializer',
  /** The live group of a connector. */
  connector: (name: string): string => `vigil-connector-${name}`,
  /** The group whose committed offsets are a replay's checkpoint. */
  replay: (connector: string): string => `vigil-replay-${connector}`,
  /** One group per store schema, so rebuilding two stores on one cluster never mixes their progress. */
  rebuild: (schema: string): string => `vigil-rebuild-${schema}`,
  /** A throw-away group of a bounded read; it never commits. */
  reader: (): string => `vigil-cli-reader-${randomUUID()}`,
} as const;

/** The connector a consumer group belongs to (its live group or a replay); undefined for the materializer's. */
export function connectorOfGroup(groupId: string): string | undefined {
  return /^vigil-(?:connector|replay)-(.+)$/.exec(groupId)?.[1];
}
