export enum ConfigErrorCode {
  INVALID_ENVIRONMENT = 'INVALID_ENVIRONMENT',
}

/** Raised at boot when the environment does not satisfy an app's configuration schema. */
export class ConfigException extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigException';
  }
}
