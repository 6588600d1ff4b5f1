import { inspect } from 'node:util';
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A credential read from the environment. It prints as its variable name only, so a log line never carries it. */
export class Secret {
  readonly #value: string;

  constructor(
    readonly envName: string,
    value: string,
  ) {
    this.#value = value;
  }

  /** The value itself, for the one place that puts it on the wire. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `[secret from ${this.envName}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A config field naming an environment variable (e.g. `tokenEnv: SPLUNK_EU_TOKEN`) that must be set; parses to a Secret. */
export type SecretSchema = () => z.ZodType<Secret, string>;

export function secretFrom(env: Env): SecretSchema {
  return () =>
    z
      .string()
      .regex(ENV_NAME, 'must be the name of an environment variable (letters, digits, underscores), not the secret itself')
      .transform((name, ctx) => {
        const value = env[name];
        if (value === undefined || value === '') {
          ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
          return z.NEVER;
        }
        return new Secret(name, value);
      });
}
