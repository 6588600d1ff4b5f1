/** Compatibility levels of the Confluent Schema Registry API. */
export type CompatibilityLevel =
  'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

/**
 * Every audit subject evolves under FULL_TRANSITIVE: each version must be readable by every older and
 * every newer one. Kafka keeps weeks of history that replays and rebuilds read with today's consumers
 * (backward), and connectors deployed last month must read events from producers deployed today
 * (forward). In practice: add or remove only fields that have defaults. See docs/schemas.md.
 */
export const SCHEMA_COMPATIBILITY: CompatibilityLevel = 'FULL_TRANSITIVE';
