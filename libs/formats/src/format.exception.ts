export enum FormatErrorCode {
  UnknownFormat = 'UNKNOWN_FORMAT',
  InvalidExtraField = 'INVALID_EXTRA_FIELD',
  InvalidExtraPrefix = 'INVALID_EXTRA_PREFIX',
}

/** A format configuration error; the message names the field and the rule. */
export class FormatException extends Error {
  constructor(
    readonly code: FormatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = FormatException.name;
  }
}
