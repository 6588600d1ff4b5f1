import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '@vigil/events';
import { OUTPUT_FORMATS } from '@vigil/formats';
import { ConnectorErrorCode, ConnectorException, parseConnectorConfig, type ConnectorDefinition } from '@vigil/connector';
import { SINK_SPECS } from '@vigil/sinks';
import type { StreamSecrets } from './stream-secret.codec';
import { StreamErrorCode, StreamException } from './stream.exception';

/** Sink types a stream can have: every type the connector runner ships a sink for. */
export const STREAM_TYPES = SINK_SPECS.map((spec) => spec.type);

const MAX_SETTINGS_BYTES = 16 * 1024;
const MAX_SECRETS = 16;
const MAX_SECRET_CHARS = 4096;
/**
 * A stream's `gzipLevel` at most: zlib's own default. Levels 7-9 cost several times the CPU for a few per cent fewer
 * bytes, and a stream's compressing runs on libuv's threads, which every tenant's streams share.
 */
const MAX_STREAM_GZIP_LEVEL = 6;
const SECRET_NAME = /^(?:[a-zA-Z][a-zA-Z0-9]{0,63}|headers\.[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128})$/;

/** What a tenant admin sets on a stream, besides its name and secrets (stored as the row's `config`). */
export const streamConfigSchema = z.strictObject({
  categories: z
    .array(z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }))
    .min(1)
    .optional(),
  actions: z
    .strictObject({ include: z.array(z.string().max(200)).max(100).optional(), exclude: z.array(z.string().max(200)).max(100).optional() })
    .optional(),
  minSeverity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }).optional(),
  format: z.enum(OUTPUT_FORMATS, { error: `must be one of ${OUTPUT_FORMATS.join(', ')}` }).optional(),
  extraFields: z.strictObject({ paths: z.array(z.string().max(200)).max(50), prefix: z.string().max(64).optional() }).optional(),
  /** The sink's settings block without secrets (`url`, `index`, `headers` ...), as in a connector's `splunk:` or `http:`. */
  settings: z.record(z.string(), z.unknown()),
});
export type StreamConfig = z.infer<typeof streamConfigSchema>;

export const streamSecretsSchema = z
  .record(
    z.string().regex(SECRET_NAME, 'must be a setting name such as token or signingSecret, or headers.<Header-Name>'),
    z.string().min(1, 'must not be empty').max(MAX_SECRET_CHARS, `must be at most ${MAX_SECRET_CHARS} characters`),
  )
  .refine((secrets) => Object.keys(secrets).length <= MAX_SECRETS, `at most ${MAX_SECRETS} secrets`);

export interface StreamPolicy {
  /** Plain-http URLs allowed (tests, a collector on the same host); otherwise https only. */
  allowInsecureHttp: boolean;
}

/** Names only Vigil sets in a stream's settings: secret references and the insecure switch. */
function forbiddenSetting(key: string): string | undefined {
  if (key.endsWith('Env') || key === 'secretHeaders')
    return `is a secret: set it in secrets (e.g. secrets.token, secrets["headers.Authorization"])`;
  if (key === 'allowInsecureHttp') return 'is decided by the platform (VIGIL_STREAMS_ALLOW_INSECURE_HTTP), not per stream';
  return undefined;
}

/**
 * A stream as the connector runner runs it: validated by the same schemas as a connector of its type, with its
 * secrets resolved from the decrypted map instead of the environment. Throws StreamException(INVALID) listing
 * every problem as `field: message` (`settings.url`, `secrets.token`, `format` ...).
 */
export function toConnectorDefinition(
  input: { id: string; tenantId: string; type: string; config: StreamConfig; secrets: StreamSecrets },
  policy: StreamPolicy,
): ConnectorDefinition {
  const problems: string[] = [];
  const { settings, ...filters } = input.config;
  if (Buffer.byteLength(JSON.stringify(settings)) > MAX_SETTINGS_BYTES)
    problems.push(`settings: must be at most ${MAX_SETTINGS_BYTES} bytes of JSON`);
  for (const key of Object.keys(settings)) {
    const why = forbiddenSetting(key);
    if (why !== undefined) problems.push(`settings.${key}: ${why}`);
  }
  const gzipLevel = settings['gzipLevel'];
  if (typeof gzipLevel === 'number' && gzipLevel > MAX_STREAM_GZIP_LEVEL)
    problems.push(
      `settings.gzipLevel: must be at most ${MAX_STREAM_GZIP_LEVEL} for a stream (the streams app compresses every tenant's requests on the same threads)`,
    );
  if (!(STREAM_TYPES as readonly string[]).includes(input.type)) problems.push(`type: must be one of ${STREAM_TYPES.join(', ')}`);
  if (problems.length > 0) throw new StreamException(StreamErrorCode.INVALID, 'invalid stream', problems);

  // Each secret gets a synthetic variable name the settings block refers to, resolved from this map only.
  const env: Record<string, string> = {};
  const aliases = new Map<string, string>();
  const block: Record<string, unknown> = { ...settings, allowInsecureHttp: policy.allowInsecureHttp };
  const secretHeaders: Record<string, string> = {};
  Object.entries(input.secrets).forEach(([name, value], i) => {
    const variable = `STREAM_SECRET_${i}`;
    env[variable] = value;
    aliases.set(variable, name);
    if (name.startsWith('headers.')) secretHeaders[name.slice('headers.'.length)] = variable;
    else block[`${name}Env`] = variable;
  });
  if (Object.keys(secretHeaders).length > 0) block['secretHeaders'] = secretHeaders;
  const name = `stream-${input.id.slice(0, 8)}-${input.id.slice(-12)}`.toLowerCase();
  const raw = { name, type: input.type, startFrom: 'latest', tenants: [input.tenantId], ...filters, [input.type]: block };
  try {
    const [definition] = parseConnectorConfig(JSON.stringify({ connectors: [raw] }), { env, specs: SINK_SPECS, source: 'stream' });
    if (definition === undefined) throw new StreamException(StreamErrorCode.INVALID, 'invalid stream');
    return definition;
  } catch (err) {
    if (!(err instanceof ConnectorException) || err.code !== ConnectorErrorCode.INVALID_CONFIG) throw err;
    throw new StreamException(
      StreamErrorCode.INVALID,
      'invalid stream',
      err.problems.map((p) => restate(p, name, input.type, aliases)),
    );
  }
}

/** A connector-file problem in the stream's own terms: `settings.url`, `secrets.token`; never a secret's value. */
function restate(problem: string, name: string, type: string, aliases: Map<string, string>): string {
  let text = problem.replace(`connectors[0] (${name}).`, '').replace(new RegExp(`^${type}\\.`), 'settings.');
  text = text.replace(/^settings\.([A-Za-z0-9]+)Env: environment variable \S+ is not set/, 'secrets.$1: is required');
  text = text.replace(/^settings\.([A-Za-z0-9]+)Env: is required/, 'secrets.$1: is required');
  text = text.replace(/^settings\.secretHeaders\.([^:]+):/, 'secrets.headers.$1:');
  for (const [variable, secret] of aliases) text = text.replaceAll(`environment variable ${variable}`, `secrets.${secret}`);
  return text.replace(/; set allowInsecureHttp: true in this block to send over plain http/, '');
}
