import { z } from 'zod';
import { allowInsecureHttpField, gzipLevelField, requireHttps, type ConnectorTypeSpec, type Secret } from '@vigil/connector';

export interface ElasticsearchSettings {
  /** The cluster's base URL, e.g. https://es.example.com:9200 (`/_bulk` is appended). */
  url: string;
  allowInsecureHttp: boolean;
  /** `Authorization: ApiKey <key>` (Elasticsearch's encoded API key), or basic auth with username and password. */
  apiKey?: Secret | undefined;
  username?: string | undefined;
  password?: Secret | undefined;
  /** `daily`: `<prefix>-<tenant>-<yyyy.MM.dd>` indices; `data-stream`: one `logs-<dataset>-<tenant>` data stream per tenant. */
  indexMode: 'daily' | 'data-stream';
  prefix: string;
  dataset: string;
  gzip: boolean;
  /** zlib level of gzipped requests, 1 (fastest) to 9 (smallest). */
  gzipLevel: number;
  timeoutMs: number;
  /** Install the index template (ECS mappings) and the 30-day ILM/ISM policy before the first bulk request. */
  installTemplates: boolean;
}

/** The `elasticsearch:` block: Elasticsearch 8/9 and OpenSearch 2, ECS documents through `_bulk` (docs/connectors.md). */
export const elasticsearchSpec: ConnectorTypeSpec<ElasticsearchSettings> = {
  type: 'elasticsearch',
  formats: ['ecs'],
  defaultFormat: 'ecs',
  settings: (secret) =>
    z
      .strictObject({
        url: z
          .string({ error: 'is required' })
          .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL'),
        allowInsecureHttp: allowInsecureHttpField,
        apiKeyEnv: secret({ header: true }).optional(),
        username: z.string().min(1).max(200).optional(),
        passwordEnv: secret().optional(),
        indexMode: z.enum(['daily', 'data-stream'], { error: 'must be daily or data-stream' }).default('daily'),
        prefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'must be lowercase letters, digits, _ . - (an index name prefix)')
          .default('vigil-audit'),
        dataset: z
          .string()
          .regex(/^[a-z0-9_.]{1,100}$/, 'must be lowercase letters, digits, _ and . (a data stream dataset)')
          .default('vigil.audit'),
        gzip: z.boolean().default(false),
        gzipLevel: gzipLevelField,
        installTemplates: z.boolean().default(true),
        timeoutMs: z.number().int().min(100, 'must be >= 100').max(300_000, 'must be <= 300000').default(30_000),
      })
      .superRefine(requireHttps)
      .superRefine((s, ctx) => {
        const basic = s.username !== undefined || s.passwordEnv !== undefined;
        if (s.apiKeyEnv !== undefined && basic)
          ctx.addIssue({ code: 'custom', path: ['apiKeyEnv'], message: 'use either apiKeyEnv or username and passwordEnv, not both' });
        if (basic && (s.username === undefined || s.passwordEnv === undefined))
          ctx.addIssue({
            code: 'custom',
            path: [s.username === undefined ? 'username' : 'passwordEnv'],
            message: 'basic auth needs username and passwordEnv',
          });
      })
      .transform(({ apiKeyEnv, passwordEnv, ...rest }) => ({ ...rest, apiKey: apiKeyEnv, password: passwordEnv })),
};
