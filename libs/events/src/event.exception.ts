export enum EventErrorCode {
  /** The event breaks a schema or catalog rule; it must not reach Kafka. */
  INVALID_EVENT = 'INVALID_EVENT',
  /** A message on a topic is not in Confluent framing, or its schema id is unknown, or its Avro is undecodable. */
  UNDECODABLE = 'UNDECODABLE',
  /** The schema registry refused or failed a request. */
  REGISTRY = 'REGISTRY',
}

export interface EventIssue {
  /** Dotted path of the offending field, e.g. `actor.id` or `attributes.ticket`. */
  path: string;
  /** The rule it broke, e.g. `required`, `must be a UUID`. */
  rule: string;
}

/** An event Vigil refuses, with every problem named by field path and rule. */
export class EventValidationException extends Error {
  readonly code = EventErrorCode.INVALID_EVENT;

  constructor(readonly issues: readonly EventIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.rule}`).join('; '));
    this.name = 'EventValidationException';
  }
}

/** A Kafka message that cannot be turned into an event; the consumer dead-letters it with this reason. */
export class EventDecodeException extends Error {
  readonly code = EventErrorCode.UNDECODABLE;

  constructor(
    message: string,
    readonly reason: 'framing' | 'unknown-schema' | 'avro' | 'envelope',
  ) {
    super(message);
    this.name = 'EventDecodeException';
  }
}

export class SchemaRegistryException extends Error {
  readonly code = EventErrorCode.REGISTRY;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SchemaRegistryException';
  }
}
