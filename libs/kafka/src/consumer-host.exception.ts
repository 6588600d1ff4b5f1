export enum ConsumerHostErrorCode {
  /** A batch arrived before start() set the host up (a programming error). */
  NOT_STARTED = 'NOT_STARTED',
  /** `undecodable: 'dead-letter'` without a dead-letter sender. */
  NO_DEAD_LETTER_SENDER = 'NO_DEAD_LETTER_SENDER',
  /** Two handlers declared the same consumer group. */
  DUPLICATE_GROUP = 'DUPLICATE_GROUP',
  /** A partition batch fetched while the one before it was decoded: that one failed, so this one is read again after it. */
  SUPERSEDED = 'SUPERSEDED',
}

export class ConsumerHostException extends Error {
  constructor(
    readonly code: ConsumerHostErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConsumerHostException';
  }
}
