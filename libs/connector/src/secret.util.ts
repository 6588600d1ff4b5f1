import { inspect } from 'node:util';
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// HTTP field values allow tab, space and visible characters; anything else (CR/LF above all) could split a header.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const HEADER_UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Whether a value can go in an HTTP header as it is: no CR, LF or other control character. */
export function isSafeHeaderValue(value: string): boolean {
  return !HEADER_UNSAFE.test(value);
}

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

export interface SecretOptions {
  /** The value is sent in an HTTP header: a control character in it is a config error (naming the variable, not the value). */
  header?: boolean;
}

/** A config field naming an environment variable (e.g. `tokenEnv: SPLUNK_EU_TOKEN`) that must be set; parses to a Secret. */
export type SecretSchema = (options?: SecretOptions) => z.ZodType<Secret, string>;

export function secretFrom(env: Env): SecretSchema {
  return (options = {}) =>
    z
      .string()
      .regex(ENV_NAME, 'must be the name of an environment variable (letters, digits, underscores), not the secret itself')
      .transform((name, ctx) => {
        const value = env[name];
        if (value === undefined || value === '') {
          ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
          return z.NEVER;
        }
        if (options.header === true && !isSafeHeaderValue(value)) {
          // Caught here, at load: sent, it would split the request's headers and carry the secret into logs and /health.
          ctx.addIssue({
            code: 'custom',
            message: `environment variable ${name} holds a control character (such as CR or LF), which cannot go in an HTTP header`,
          });
          return z.NEVER;
        }
        return new Secret(name, value);
      });
}

/** The environment variables a connector block names for its secrets (every `...Env` field, e.g. `tokenEnv`). */
export function secretNames(block: unknown): string[] {
  if (typeof block !== 'object' || block === null) return [];
  return Object.entries(block).flatMap(([key, value]) =>
    key.endsWith('Env') && typeof value === 'string' ? [value] : typeof value === 'object' ? secretNames(value) : [],
  );
}
