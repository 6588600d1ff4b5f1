export enum ConnectorErrorCode {
  /** The connectors file is missing, unreadable, not YAML, or breaks a rule of the schema. */
  INVALID_CONFIG = 'INVALID_CONFIG',
  /** A sink was asked for a format or setting it does not support. */
  UNSUPPORTED = 'UNSUPPORTED',
  /** The connector is stopping; the batch in hand is abandoned uncommitted. */
  STOPPING = 'STOPPING',
  /** A partition batch fetched ahead of one that failed: not sent, its partition is read again from the failed one. */
  SUPERSEDED = 'SUPERSEDED',
}

/** A connector error; configuration errors list every problem, each naming the connector and field. */
export class ConnectorException extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length === 0 ? message : `${message}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = ConnectorException.name;
  }
}
