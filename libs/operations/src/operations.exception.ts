import { KafkaAdminErrorCode, KafkaAdminException } from '@vigil/kafka';

/** Why an operation failed; each edge (the CLI's exit codes, an operations API) maps every code. */
export enum OperationsErrorCode {
  /** An argument is malformed or out of range (a time, a rate, a reference, a category). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  KAFKA_UNREACHABLE = 'KAFKA_UNREACHABLE',
  TOPIC_MISSING = 'TOPIC_MISSING',
  CONNECTORS_FILE_UNREADABLE = 'CONNECTORS_FILE_UNREADABLE',
  CONNECTORS_FILE_INVALID = 'CONNECTORS_FILE_INVALID',
  CONNECTOR_NOT_FOUND = 'CONNECTOR_NOT_FOUND',
  CONNECTOR_UNSUPPORTED = 'CONNECTOR_UNSUPPORTED',
  /** An unfinished replay to the connector has other arguments. */
  REPLAY_CONFLICT = 'REPLAY_CONFLICT',
  /** `--from` is older than the data Kafka still holds. */
  RETENTION_GAP = 'RETENTION_GAP',
  REPLAY_INCOMPLETE = 'REPLAY_INCOMPLETE',
  DEAD_LETTER_NOT_FOUND = 'DEAD_LETTER_NOT_FOUND',
  /** A dead letter was written by a consumer that is not a connector, and no connector was named. */
  DEAD_LETTER_WITHOUT_CONNECTOR = 'DEAD_LETTER_WITHOUT_CONNECTOR',
  DEAD_LETTERS_UNDECODABLE = 'DEAD_LETTERS_UNDECODABLE',
  /** Dead letters the named connector would never send (another tenant's, or outside its actions or severity). */
  DEAD_LETTERS_REFUSED = 'DEAD_LETTERS_REFUSED',
  REBUILD_UNSUPPORTED_SCHEMA = 'REBUILD_UNSUPPORTED_SCHEMA',
  /** The operator interrupted the operation (Ctrl-C); the message says how to resume. */
  INTERRUPTED = 'INTERRUPTED',
}

/** A failed operation with a message that says what to do next. */
export class OperationsException extends Error {
  constructor(
    readonly code: OperationsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OperationsException';
  }

  /** The same failure in operations' terms when it came from the Kafka admin; anything else is rethrown as is. */
  static from(err: unknown): unknown {
    if (!(err instanceof KafkaAdminException)) return err;
    switch (err.code) {
      case KafkaAdminErrorCode.BROKER_UNREACHABLE:
        return new OperationsException(OperationsErrorCode.KAFKA_UNREACHABLE, err.message);
      case KafkaAdminErrorCode.TOPIC_MISSING:
        return new OperationsException(OperationsErrorCode.TOPIC_MISSING, err.message);
    }
  }
}
