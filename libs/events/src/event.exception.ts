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

/**
 * Why a message cannot be an event (the dead letter's reason): `framing` (not magic byte + schema id),
 * `unknown-schema` (the registry answered 404 for its id), `bad-schema` (the id holds a schema that is not Avro or
 * does not parse), `avro` (the body does not decode with its writer schema), `too-large` / `too-deep` (beyond the
 * codec's bounds), `envelope` (decoded, but breaks the envelope's rules).
 */
export type DecodeReason = 'framing' | 'unknown-schema' | 'bad-schema' | 'avro' | 'too-large' | 'too-deep' | 'envelope';

/** A Kafka message that cannot be turned into an event; the consumer dead-letters it with this reason. */
export class EventDecodeException extends Error {
  readonly code = EventErrorCode.UNDECODABLE;

  constructor(
    message: string,
    readonly reason: DecodeReason,
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

/** A registry id that holds a schema Vigil cannot read as Avro (another schema type, or text that does not parse). */
export class SchemaFormatException extends Error {
  readonly code = EventErrorCode.UNDECODABLE;

  constructor(message: string) {
    super(message);
    this.name = 'SchemaFormatException';
  }
}
