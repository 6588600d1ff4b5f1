import { z } from 'zod';
import {
  allowInsecureHttpField,
  gzipLevelField,
  isSafeHeaderValue,
  requireHttps,
  type ConnectorTypeSpec,
  type Secret,
} from '@vigil/connector';

export interface WebhookSettings {
  /** The endpoint; for the otlp format a collector's base URL gets `/v1/logs` appended when it has no path. */
  url: string;
  /** Plain http allowed for `url` (otherwise https is required). */
  allowInsecureHttp: boolean;
  /** Framing of native and ECS documents. */
  framing: 'json-array' | 'ndjson';
  /** Plain headers sent with every request. */
  headers: Record<string, string>;
  /** Headers whose values are secrets, read from the named environment variables. */
  secretHeaders: Record<string, Secret>;
  /** HMAC-SHA256 key of the X-Vigil-Signature header; no signature when unset. */
  signingSecret?: Secret | undefined;
  gzip: boolean;
  /** zlib level of gzipped requests, 1 (fastest) to 9 (smallest). */
  gzipLevel: number;
  timeoutMs: number;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const RESERVED = new Set(['content-type', 'content-length', 'content-encoding', 'x-vigil-timestamp', 'x-vigil-signature', 'host']);

const headerName = z
  .string()
  .regex(HEADER_NAME, 'must be an HTTP header name')
  .refine((name) => !RESERVED.has(name.toLowerCase()), 'is set by Vigil and cannot be configured');

/** The `http:` block of a connector. */
export const webhookSpec: ConnectorTypeSpec<WebhookSettings> = {
  type: 'http',
  formats: ['native', 'ecs', 'otlp'],
  defaultFormat: 'native',
  settings: (secret) =>
    z
      .strictObject({
        url: z
          .string({ error: 'is required' })
          .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL'),
        allowInsecureHttp: allowInsecureHttpField,
        framing: z.enum(['json-array', 'ndjson'], { error: 'must be json-array or ndjson' }).default('json-array'),
        headers: z
          .record(headerName, z.string().refine(isSafeHeaderValue, 'must not contain control characters such as CR or LF'))
          .default({}),
        secretHeaders: z.record(headerName, secret({ header: true })).default({}),
        signingSecretEnv: secret().optional(),
        gzip: z.boolean().default(false),
        gzipLevel: gzipLevelField,
        timeoutMs: z.number().int().min(100, 'must be >= 100').max(300_000, 'must be <= 300000').default(30_000),
      })
      .superRefine(requireHttps)
      .transform(({ signingSecretEnv, ...rest }) => ({ ...rest, signingSecret: signingSecretEnv })),
};
