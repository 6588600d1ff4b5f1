export enum StreamErrorCode {
  NOT_FOUND = 'STREAM_NOT_FOUND',
  INVALID = 'STREAM_INVALID',
  NAME_TAKEN = 'STREAM_NAME_TAKEN',
  TOO_MANY = 'TOO_MANY_STREAMS',
  TARGET_REFUSED = 'STREAM_TARGET_REFUSED',
  SECRET_KEY_MISSING = 'STREAM_SECRET_KEY_MISSING',
  SECRET_UNREADABLE = 'STREAM_SECRET_UNREADABLE',
  AUDIT_FAILED = 'STREAM_AUDIT_FAILED',
}

/** A refused stream operation; `problems` lists each invalid field as `path: message`. */
export class StreamException extends Error {
  constructor(
    readonly code: StreamErrorCode,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length === 0 ? message : `${message}: ${problems.join('; ')}`);
    this.name = StreamException.name;
  }
}
