export enum PublishErrorCode {
  /** The event broke a schema or catalog rule and was not sent. */
  INVALID_EVENT = 'INVALID_EVENT',
  /** Kafka did not acknowledge the write after every retry. */
  KAFKA_UNAVAILABLE = 'KAFKA_UNAVAILABLE',
  /** One event is larger than the broker or topic accepts (a topic set below Vigil's 512 KiB event bound). */
  EVENT_TOO_LARGE = 'EVENT_TOO_LARGE',
  /** The schema registry could not give the schema id. */
  REGISTRY_UNAVAILABLE = 'REGISTRY_UNAVAILABLE',
  /** publish() after close(). */
  CLOSED = 'CLOSED',
}

/** A publish that did not reach Kafka; `cause` holds the underlying error. */
export class PublishException extends Error {
  constructor(
    readonly code: PublishErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PublishException';
  }
}
