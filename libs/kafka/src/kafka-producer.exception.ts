/** Why a produce failed for a reason retrying cannot fix; the SDK maps the code to its own. */
export enum KafkaProducerErrorCode {
  /** One record alone is larger than the broker or the topic accepts (message.max.bytes, max.message.bytes). */
  RECORD_TOO_LARGE = 'RECORD_TOO_LARGE',
}

export class KafkaProducerException extends Error {
  constructor(
    readonly code: KafkaProducerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaProducerException';
  }
}
