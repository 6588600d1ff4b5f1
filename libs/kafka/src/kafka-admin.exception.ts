/** Why an admin operation or a bounded read could not run; each edge maps the code (the CLI to an exit code). */
export enum KafkaAdminErrorCode {
  BROKER_UNREACHABLE = 'BROKER_UNREACHABLE',
  TOPIC_MISSING = 'TOPIC_MISSING',
}

export class KafkaAdminException extends Error {
  constructor(
    readonly code: KafkaAdminErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KafkaAdminException';
  }
}
