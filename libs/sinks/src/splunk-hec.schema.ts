import { z } from 'zod';
import { allowInsecureHttpField, gzipLevelField, requireHttps, type ConnectorTypeSpec, type Secret } from '@vigil/connector';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SplunkHecSettings {
  /** Base URL of the HEC endpoint, e.g. https://splunk.example.com:8088 (the collector paths are appended). */
  url: string;
  /** Plain http allowed for `url` (otherwise https is required). */
  allowInsecureHttp: boolean;
  token: Secret;
  host?: string | undefined;
  source?: string | undefined;
  sourcetype?: string | undefined;
  index?: string | undefined;
  gzip: boolean;
  /** zlib level of gzipped requests, 1 (fastest) to 9 (smallest). */
  gzipLevel: number;
  timeoutMs: number;
  ack: { enabled: boolean; channel?: string | undefined; pollIntervalMs: number; timeoutMs: number };
}

const httpUrl = z
  .string({ error: 'is required' })
  .refine((value) => /^https?:$/.test(safeProtocol(value)), 'must be an http(s) URL such as https://splunk.example.com:8088');

/** The `splunk:` block of a connector. */
export const splunkHecSpec: ConnectorTypeSpec<SplunkHecSettings> = {
  type: 'splunk',
  formats: ['hec'],
  defaultFormat: 'hec',
  settings: (secret) =>
    z
      .strictObject({
        url: httpUrl,
        allowInsecureHttp: allowInsecureHttpField,
        // Sent as `Authorization: Splunk <token>`.
        tokenEnv: secret({ header: true }),
        host: z.string().min(1).optional(),
        source: z.string().min(1).optional(),
        sourcetype: z.string().min(1).optional(),
        index: z.string().min(1).optional(),
        gzip: z.boolean().default(false),
        gzipLevel: gzipLevelField,
        timeoutMs: z.number().int().min(100, 'must be >= 100').max(300_000, 'must be <= 300000').default(30_000),
        ack: z
          .strictObject({
            enabled: z.boolean().default(false),
            channel: z.string().regex(GUID, 'must be a GUID').optional(),
            pollIntervalMs: z.number().int().min(10, 'must be >= 10').max(60_000, 'must be <= 60000').default(500),
            timeoutMs: z.number().int().min(100, 'must be >= 100').max(600_000, 'must be <= 600000').default(60_000),
          })
          .prefault({}),
      })
      .superRefine(requireHttps)
      .transform(({ tokenEnv, ...rest }) => ({ ...rest, token: tokenEnv })),
};

function safeProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}
