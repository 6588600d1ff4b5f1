import type { TlsSettings } from '@vigil/config';
import { SchemaFormatException, type CompatibilityLevel, type SchemaRegistryPort } from '@vigil/events';

import { fetchFailure, registryFetch, type RegistryFetch, type RegistryResponse } from './registry-fetch.util';

export type { CompatibilityLevel } from '@vigil/events';

export class RegistryHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: number | undefined,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

export interface RegistryHttpOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** A private CA or a client certificate for an https registry (`registryConnectionOf`). */
  tls?: TlsSettings | undefined;
  timeoutMs?: number;
}

const contentType = 'application/vnd.schemaregistry.v1+json';

/** A URL without the user and password written into it (if any), and those, decoded. */
function splitUserinfo(url: string): { url: string; userinfo?: { username: string; password: string } } {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return { url };
    const userinfo = { username: decoded(parsed.username), password: decoded(parsed.password) };
    parsed.username = '';
    parsed.password = '';
    return { url: parsed.toString().replace(/\/+$/, ''), userinfo };
  } catch {
    return { url };
  }
}

/** A URL as it may be shown in an error or a log: its user and password (if any were written into it) removed. */
export function withoutUserinfo(url: string): string {
  return splitUserinfo(url).url;
}

/** A URL's percent-escaped user or password; as written when it holds a malformed escape (`%zz`). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * A small client of the Confluent Schema Registry REST API (Apicurio's ccompat/v7 locally) for what
 * Vigil needs beyond serialisation: registering with an explicit compatibility level, compatibility
 * checks before registering, and raw schemas by id (decoded with Vigil's own Avro options).
 */
export class RegistryHttpClient implements SchemaRegistryPort {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetch: RegistryFetch;

  constructor(options: RegistryHttpOptions) {
    this.fetch = registryFetch(options.tls);
    // A user and password written into the URL are taken as its Basic credentials (fetch refuses such a URL) and
    // kept out of the base, so that no request, error or log line carries them.
    const { url: base, userinfo: written } = splitUserinfo(options.url.replace(/\/+$/, ''));
    this.base = base;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = { Accept: contentType, 'Content-Type': contentType };
    const username = options.username ?? written?.username;
    const password = options.username !== undefined ? options.password : written?.password;
    if (username !== undefined) {
      this.headers['Authorization'] = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
  }

  /** Registers a schema under a subject (idempotent: the same schema returns its existing id). */
  async register(subject: string, schema: object): Promise<number> {
    const body = await this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema: JSON.stringify(schema),
    });
    return body.id;
  }

  /** The id of a schema already registered under the subject, or undefined when it is not. */
  async lookup(subject: string, schema: object): Promise<number | undefined> {
    try {
      const body = await this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}`, {
        schema: JSON.stringify(schema),
      });
      return body.id;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Whether the schema is compatible with the subject's versions under its compatibility level (true for a new subject). */
  async isCompatible(subject: string, schema: object): Promise<boolean> {
    try {
      const body = await this.request<{ is_compatible: boolean }>(
        'POST',
        `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
        { schema: JSON.stringify(schema) },
      );
      return body.is_compatible;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) return true;
      if (err instanceof RegistryHttpError && err.status === 409) return false;
      throw err;
    }
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
  }

  /** The subject's own compatibility level, or undefined when it inherits the global one. */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    try {
      const body = await this.request<{ compatibilityLevel?: CompatibilityLevel; compatibility?: CompatibilityLevel }>(
        'GET',
        `/config/${encodeURIComponent(subject)}`,
      );
      return body.compatibilityLevel ?? body.compatibility;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** The writer schema of a registered id (as JSON); SchemaFormatException when the id holds no Avro schema. */
  async schemaById(id: number): Promise<object> {
    const body = await this.request<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`);
    // The Confluent API leaves schemaType out for Avro; JSON and PROTOBUF schemas say so.
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO')
      throw new SchemaFormatException(`schema id ${id} is a ${body.schemaType} schema, not Avro`);
    try {
      return JSON.parse(body.schema) as object;
    } catch (err) {
      throw new SchemaFormatException(`schema id ${id} does not parse as an Avro schema: ${(err as Error).message}`);
    }
  }

  async subjects(): Promise<string[]> {
    return this.request<string[]>('GET', '/subjects');
  }

  async versions(subject: string): Promise<number[]> {
    return this.request<number[]>('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: RegistryResponse;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers: this.headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RegistryHttpError(`schema registry at ${this.base} is not reachable: ${fetchFailure(err)}`, undefined, undefined);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      let errorCode: number | undefined;
      try {
        const parsed = JSON.parse(text) as { message?: string; error_code?: number };
        detail = parsed.message ?? detail;
        errorCode = parsed.error_code;
      } catch {
        // not JSON: keep the text
      }
      throw new RegistryHttpError(`schema registry ${method} ${path} failed with HTTP ${res.status}: ${detail}`, res.status, errorCode);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
