import { z } from 'zod';
import { allowInsecureHttpField, gzipLevelField, type ConnectorTypeSpec, type Secret } from '@vigil/connector';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SentinelSettings {
  /** The data collection endpoint's logs ingestion URL, e.g. https://vigil-dce-abcd.westeurope-1.ingest.monitor.azure.com */
  endpoint: string;
  /** The data collection rule's immutable id (`dcr-...`). */
  dcrImmutableId: string;
  /** The rule's input stream, `Custom-VigilAudit_CL` with the shipped definitions. */
  streamName: string;
  /** Microsoft Entra tenant (directory) id of the app registration. */
  tenantId: string;
  clientId: string;
  clientSecret: Secret;
  /** Where tokens come from: https://login.microsoftonline.com, or a sovereign cloud's (or a test double's) authority. */
  authorityHost: string;
  scope: string;
  allowInsecureHttp: boolean;
  gzip: boolean;
  /** zlib level of gzipped requests, 1 (fastest) to 9 (smallest). */
  gzipLevel: number;
  timeoutMs: number;
}

const url = (what: string) =>
  z
    .string({ error: 'is required' })
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), `must be the ${what} URL (https)`);

/** The `sentinel:` block: Azure Monitor's Logs Ingestion API through a data collection rule (docs/sentinel.md). */
export const sentinelSpec: ConnectorTypeSpec<SentinelSettings> = {
  type: 'sentinel',
  formats: ['native'],
  defaultFormat: 'native',
  settings: (secret) =>
    z
      .strictObject({
        endpoint: url('data collection endpoint’s logs ingestion'),
        dcrImmutableId: z
          .string({ error: 'is required' })
          .regex(/^dcr-[0-9a-f]{32}$/, 'must be a rule’s immutable id: dcr- and 32 hex digits'),
        streamName: z
          .string()
          .regex(/^Custom-[A-Za-z0-9_]{1,60}$/, 'must be the rule’s stream, Custom-<name> (Custom-VigilAudit_CL with the shipped rule)')
          .default('Custom-VigilAudit_CL'),
        tenantId: z.string({ error: 'is required' }).regex(GUID, 'must be the Entra tenant id (a GUID)'),
        clientId: z.string({ error: 'is required' }).regex(GUID, 'must be the app registration’s client id (a GUID)'),
        clientSecretEnv: secret(),
        authorityHost: url('authority').default('https://login.microsoftonline.com'),
        scope: z.string().min(1).default('https://monitor.azure.com/.default'),
        allowInsecureHttp: allowInsecureHttpField,
        gzip: z.boolean().default(true),
        gzipLevel: gzipLevelField,
        timeoutMs: z.number().int().min(100, 'must be >= 100').max(300_000, 'must be <= 300000').default(30_000),
      })
      .superRefine((s, ctx) => {
        if (s.allowInsecureHttp) return;
        for (const field of ['endpoint', 'authorityHost'] as const)
          if (URL.canParse(s[field]) && new URL(s[field]).protocol !== 'https:')
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: 'must be an https URL; set allowInsecureHttp: true in this block to send over plain http',
            });
      })
      .transform(({ clientSecretEnv, ...rest }) => ({ ...rest, clientSecret: clientSecretEnv })),
};
