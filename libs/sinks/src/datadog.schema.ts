import { z } from 'zod';
import { allowInsecureHttpField, gzipLevelField, requireHttps, type ConnectorTypeSpec, type Secret } from '@vigil/connector';

/** Datadog's sites: each has its own log intake host (`http-intake.logs.<site>`). */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'ddog-gov.com',
] as const;

export interface DatadogSettings {
  site: (typeof DATADOG_SITES)[number];
  /** The intake URL: `https://http-intake.logs.<site>/api/v2/logs` unless set (a proxy, a test double). */
  url: string;
  allowInsecureHttp: boolean;
  apiKey: Secret;
  /** `ddsource` of every entry (Datadog picks its log pipeline by it). */
  source: string;
  /** `service` when the event names none. */
  service: string;
  /** `hostname` when the event names none. */
  hostname?: string | undefined;
  /** Tags added to every entry's `ddtags`, e.g. `env:prod`. */
  tags: string[];
  gzip: boolean;
  /** zlib level of gzipped requests, 1 (fastest) to 9 (smallest). */
  gzipLevel: number;
  timeoutMs: number;
}

const TAG = /^[a-z][a-z0-9_:./-]{0,199}$/;

/** The `datadog:` block of a connector (and a Datadog stream's settings, with `apiKey` in its secrets). */
export const datadogSpec: ConnectorTypeSpec<DatadogSettings> = {
  type: 'datadog',
  formats: ['native'],
  defaultFormat: 'native',
  settings: (secret) =>
    z
      .strictObject({
        site: z.enum(DATADOG_SITES, { error: `must be one of ${DATADOG_SITES.join(', ')}` }).default('datadoghq.com'),
        url: z
          .string()
          .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL')
          .optional(),
        allowInsecureHttp: allowInsecureHttpField,
        // Sent as the DD-API-KEY header.
        apiKeyEnv: secret({ header: true }),
        source: z.string().min(1).max(100).default('vigil'),
        service: z.string().min(1).max(100).default('vigil'),
        hostname: z.string().min(1).max(255).optional(),
        tags: z
          .array(z.string().regex(TAG, 'must be a Datadog tag such as env:prod (lowercase, starting with a letter)'))
          .max(50)
          .default([]),
        gzip: z.boolean().default(true),
        gzipLevel: gzipLevelField,
        timeoutMs: z.number().int().min(100, 'must be >= 100').max(300_000, 'must be <= 300000').default(30_000),
      })
      .transform(({ apiKeyEnv, url, ...rest }) => ({
        ...rest,
        apiKey: apiKeyEnv,
        url: url ?? `https://http-intake.logs.${rest.site}/api/v2/logs`,
      }))
      .superRefine(requireHttps),
};
