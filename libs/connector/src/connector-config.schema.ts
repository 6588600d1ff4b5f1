import { z } from 'zod';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '@vigil/events';
import { OUTPUT_FORMATS, type ExtraFieldsOptions, type OutputFormat } from '@vigil/formats';
import type { SecretSchema } from './secret.util';

/** Every SIEM type a connector can be; each app runs the connectors of one type. */
export const CONNECTOR_TYPES = ['splunk', 'http', 'datadog', 'sentinel', 'elasticsearch'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

export type StartFrom = 'earliest' | 'latest';

/** Requests a connector has in flight by default (`batch.maxInFlight`), each for its own lane of partitions. */
export const DEFAULT_MAX_IN_FLIGHT = 2;

/** A validated connector: the common settings the runner uses, plus the settings of its type. */
export interface ConnectorDefinition<Settings = unknown> {
  name: string;
  type: ConnectorType;
  enabled: boolean;
  categories: Category[];
  actions: { include: string[]; exclude: string[] };
  minSeverity: Severity;
  format: OutputFormat;
  extraFields?: ExtraFieldsOptions | undefined;
  /** `maxInFlight`: requests in flight at once, each for its own lane of partitions (DEFAULT_MAX_IN_FLIGHT). */
  batch: { maxEvents: number; maxBytes: number; lingerMs: number; maxInFlight?: number };
  retry: { initialBackoffMs: number; maxBackoffMs: number };
  /** Where a connector with no committed offsets starts: everything retained, or only new events. */
  startFrom: StartFrom;
  /**
   * Whose events it sends: `all` (a platform-wide connector, said explicitly) or the listed tenants only. A customer's
   * own SIEM is a stream of that tenant (docs/streams.md), not a connector.
   */
  tenants: 'all' | string[];
  settings: Settings;
}

/** What an app contributes for its connector type: the formats it can send and the schema of its settings block. */
export interface ConnectorTypeSpec<Settings> {
  type: ConnectorType;
  formats: readonly OutputFormat[];
  defaultFormat: OutputFormat;
  /** The schema of the block named after the type (`splunk:`, `http:`); secrets are referenced by env var name. */
  settings(secret: SecretSchema): z.ZodType<Settings>;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ACTION_PATTERN = /^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$/;

const int = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);

const pattern = z.string().regex(ACTION_PATTERN, 'must be a dotted action pattern such as user.login.* or *');

const typeBlocks = Object.fromEntries(CONNECTOR_TYPES.map((type) => [type, z.unknown().optional()])) as Record<
  ConnectorType,
  z.ZodOptional<z.ZodUnknown>
>;

export const connectorCommonSchema = z.strictObject({
  name: z
    .string({ error: 'is required' })
    .regex(NAME, 'must be lowercase letters, digits and dashes (at most 63), starting with a letter or digit'),
  type: z.enum(CONNECTOR_TYPES, { error: `must be one of ${CONNECTOR_TYPES.join(', ')}` }),
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
  categories: z
    .array(z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }))
    .min(1, 'must list at least one category (leave it out for all)')
    .default([...CATEGORIES]),
  actions: z.strictObject({ include: z.array(pattern).default(['*']), exclude: z.array(pattern).default([]) }).prefault({}),
  minSeverity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }).default('INFO'),
  format: z.enum(OUTPUT_FORMATS, { error: `must be one of ${OUTPUT_FORMATS.join(', ')}` }).optional(),
  extraFields: z.strictObject({ paths: z.array(z.string()), prefix: z.string().optional() }).optional(),
  batch: z
    .strictObject({
      maxEvents: int(1, 10_000).default(500),
      maxBytes: int(1024, 50_000_000).default(900_000),
      lingerMs: int(0, 60_000).default(200),
      maxInFlight: int(1, 8).default(DEFAULT_MAX_IN_FLIGHT),
    })
    .prefault({}),
  retry: z
    .strictObject({
      initialBackoffMs: int(10, 600_000).default(500),
      maxBackoffMs: int(10, 3_600_000).default(60_000),
    })
    .prefault({})
    .refine((r) => r.maxBackoffMs >= r.initialBackoffMs, { message: 'maxBackoffMs must be >= initialBackoffMs' }),
  startFrom: z.enum(['earliest', 'latest'], { error: 'must be earliest or latest' }).default('earliest'),
  tenants: z.union([z.literal('all'), z.array(z.string().min(1).max(128)).min(1)], {
    error:
      "must say whose events it sends: `all` for every tenant (a platform-wide connector) or a list of tenant ids; a customer's own SIEM is a per-tenant stream (docs/streams.md)",
  }),
  ...typeBlocks,
});

/** The switch every HTTP sink's settings block has: plain http only when a connector says so (a local collector, tests). */
export const allowInsecureHttpField = z.boolean({ error: 'must be true or false' }).default(false);

/** zlib's level for a block's gzipped requests unless it sets `gzipLevel`: the fastest. */
export const DEFAULT_GZIP_LEVEL = 1;

const GZIP_LEVEL_RULE = 'must be a whole number from 1 (fastest) to 9 (smallest)';

/**
 * `gzipLevel`, beside `gzip` in every HTTP sink's block: 1 (fastest) to 9 (smallest). Level 1 is the default because
 * compressing was the largest single cost of a gzipped connector: at zlib's own default (6) a Datadog catch-up spent
 * 35–39 µs of CPU an event and ran at 40,000–44,000 events/s here, at level 1 32 µs and 51,000–53,000 (Sentinel 37–38
 * against 28 µs), for 31–46 % more bytes on the wire (docs/performance.md).
 */
export const gzipLevelField = z
  .number({ error: GZIP_LEVEL_RULE })
  .refine((level) => Number.isInteger(level) && level >= 1 && level <= 9, GZIP_LEVEL_RULE)
  .default(DEFAULT_GZIP_LEVEL);

/**
 * A settings block's `url` must be https unless the block sets `allowInsecureHttp: true`: over http the batch and
 * the credentials in its headers travel in clear. Use as the block's superRefine; the issue lands on `url`.
 */
export function requireHttps(settings: { url: string; allowInsecureHttp: boolean }, ctx: z.RefinementCtx): void {
  if (settings.allowInsecureHttp || !URL.canParse(settings.url) || new URL(settings.url).protocol === 'https:') return;
  ctx.addIssue({
    code: 'custom',
    path: ['url'],
    message: 'must be an https URL; set allowInsecureHttp: true in this block to send over plain http',
  });
}

export const connectorsFileSchema = z.object({
  connectors: z.array(z.unknown(), { error: 'must be a list of connectors' }),
});
