import { z } from 'zod';
import { chainEnv } from '@vigil/integrity';
import { apiKeyEnv, viewerTokenEnv } from '@vigil/store';
import { streamPolicyEnv } from '@vigil/streams';
import { jwtAlgorithmsEnv, requireJwtSettings } from './auth/jwt-config.schema';
import { databaseEnv, defineConfig, envBoolean, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

export const queryApiConfigSchema = defineConfig({
  ...databaseEnv,
  ...httpEnv(4000),
  ...logEnv,
  ...kafkaEnv,
  ...registryEnv,
  ...apiKeyEnv,
  /** Per-tenant streams: the secret keys and what a stream may target (libs/streams). */
  ...streamPolicyEnv,
  /** The checkpoint signing keys, whose public halves GET /v1/integrity/keys serves. */
  ...chainEnv,
  /** Signs pagination cursors so a tampered or foreign cursor is rejected; random per process when unset. */
  QUERY_API_CURSOR_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** JWTs: verified against a JWKS URL (RS/ES/EdDSA) or an HS256 secret; without either, only API keys are accepted.
   * With either, issuer and audience are required (requireJwtSettings) and every token must carry exp, iss and aud. */
  QUERY_API_JWKS_URL: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
  QUERY_API_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  QUERY_API_JWT_ISSUER: z.string().min(1).optional(),
  QUERY_API_JWT_AUDIENCE: z.string().min(1).optional(),
  /** The pinned JWS algorithms; default RS256,ES256,EdDSA with a JWKS, HS256 with a secret. */
  QUERY_API_JWT_ALGORITHMS: jwtAlgorithmsEnv.optional(),
  QUERY_API_JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
  QUERY_API_JWT_ROLE_CLAIM: z.string().min(1).default('role'),
  /**
   * Viewer tokens for the embedded console (docs/query-api.md "Viewer tokens"): QUERY_API_VIEWER_TOKEN_SECRET, a
   * comma-separated list of HS256 secrets (the first signs, all verify), and QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS.
   * Unset secret: viewer tokens are off.
   */
  ...viewerTokenEnv,
  QUERY_API_MAX_PAGE_SIZE: positiveInt(10_000).default(1000),
  /**
   * The events' text one request may read in all: a page of `first` events gets `first / QUERY_API_MAX_PAGE_SIZE` of
   * it and ends early (`hasNextPage`, at least one event) when its events are larger. 16 MiB: 1,000 events of 16 KiB.
   */
  QUERY_API_MAX_PAGE_BYTES: positiveInt(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  QUERY_API_MAX_SPAN_DAYS: positiveInt(3650).default(31),
  /** verifyIntegrity stops after about this many events and answers a partial report (`vigil verify` walks it all). */
  QUERY_API_VERIFY_MAX_EVENTS: positiveInt(100_000_000).default(500_000),
  QUERY_API_MAX_DEPTH: positiveInt(50).default(8),
  QUERY_API_MAX_COMPLEXITY: positiveInt(100_000).default(2000),
  /** graphql-js stops parsing a document past this many tokens, before any validation runs. */
  QUERY_API_MAX_TOKENS: positiveInt(1_000_000).default(5000),
  /** Schema introspection (`__schema`, `__type`): off unless set; when on it gets the same depth and cost limits. */
  QUERY_API_INTROSPECTION: envBoolean.default(false),
  /** PostgreSQL statement_timeout of each API query (exports get QUERY_API_EXPORT_TIMEOUT_MS). */
  QUERY_API_STATEMENT_TIMEOUT_MS: positiveInt(600_000).default(5000),
  QUERY_API_EXPORT_TIMEOUT_MS: positiveInt(3_600_000).default(600_000),
  /**
   * An export whose client takes nothing for this long is ended, and its slots and connection go back; the default is
   * the session's idle-in-transaction timeout, after which PostgreSQL ends its cursor anyway.
   */
  QUERY_API_EXPORT_STALL_MS: positiveInt(3_600_000).default(30_000),
  /** The longest an export runs in all, however slowly its client reads (a trickle would hold its slots for ever). */
  QUERY_API_EXPORT_MAX_DURATION_MS: positiveInt(86_400_000).default(3_600_000),
  /** PostgreSQL ends a session left idle inside a transaction this long (a stalled export), freeing its locks. */
  QUERY_API_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveInt(3_600_000).default(30_000),
  /** The pool's application_name, so the API's sessions can be told apart in pg_stat_activity. */
  QUERY_API_DB_APPLICATION_NAME: z
    .string()
    .regex(/^[\w.-]{1,63}$/, 'letters, digits, _ . - (at most 63)')
    .default('vigil-query-api'),
  /** Token bucket per API key or JWT subject: sustained requests per second and burst. */
  QUERY_API_RATE_PER_SECOND: positiveInt(100_000).default(20),
  QUERY_API_RATE_BURST: positiveInt(100_000).default(60),
  /**
   * Fair sharing: units of database work (a root field of a GraphQL operation, an export) one key runs at
   * once; fewer than DATABASE_POOL_SIZE, so one key never holds every connection. More wait in the key's
   * own queue (QUERY_API_KEY_QUEUE callers, at most QUERY_API_KEY_QUEUE_WAIT_MS) or get TOO_MANY_CONCURRENT.
   */
  QUERY_API_KEY_CONCURRENCY: positiveInt(100).default(2),
  QUERY_API_KEY_QUEUE: z.coerce.number().int().min(0).max(1000).default(20),
  QUERY_API_KEY_QUEUE_WAIT_MS: positiveInt(600_000).default(10_000),
  /**
   * Exports streaming at once on this instance over every key, and per key. Each holds a connection and a share of
   * the event loop for its whole run; the defaults keep one key's export from starving the others (bench query-fairness).
   */
  QUERY_API_MAX_EXPORTS: positiveInt(100).default(2),
  QUERY_API_MAX_EXPORTS_PER_KEY: positiveInt(100).default(1),
  /** The live tail (subscription eventAdded), fed from Kafka; needs Kafka and the registry. */
  QUERY_API_LIVE: envBoolean.default(true),
  /** Live-tail subscriptions one key may hold at once, over all its connections. */
  QUERY_API_LIVE_MAX_PER_KEY: positiveInt(1000).default(5),
  /** Live-tail connections one key may hold open at once; one past it is closed with 4429. */
  QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY: positiveInt(10_000).default(20),
  /**
   * The largest WebSocket message the live tail reads, connection_init included (before it is authenticated): a
   * message past it closes the connection with 1009. The same 100 KiB as an HTTP request's body.
   */
  QUERY_API_LIVE_MAX_MESSAGE_BYTES: positiveInt(16 * 1024 * 1024).default(100 * 1024),
  /** How often a live connection's key or token is checked again (revoked, expired); at most 60 s. */
  QUERY_API_LIVE_RECHECK_SECONDS: positiveInt(60).default(60),
  /** The audit console at /console (apps/console, built into dist/console by npm run build). */
  QUERY_API_CONSOLE: envBoolean.default(true),
  /** Where the built console is; dist/console of this checkout by default. */
  QUERY_API_CONSOLE_DIR: z.string().min(1).optional(),
  /** CSP frame-ancestors of the console: which sites may embed it (e.g. "'self' https://app.vendor.example"). */
  QUERY_API_CONSOLE_FRAME_ANCESTORS: z
    .string()
    .regex(/^[^;,\r\n]+$/, 'CSP source expressions separated by spaces, no ; or ,')
    .default("'self'"),
})
  .superRefine(requireJwtSettings)
  .superRefine((env, ctx) => {
    // One secret for both would let whoever holds the IdP's HS256 secret mint viewer tokens, and the reverse.
    if (env.QUERY_API_JWT_SECRET !== undefined && env.QUERY_API_VIEWER_TOKEN_SECRET?.includes(env.QUERY_API_JWT_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['QUERY_API_VIEWER_TOKEN_SECRET'], message: 'must not hold QUERY_API_JWT_SECRET' });
    }
  })
  .superRefine((env, ctx) => {
    // A key (or the exports together) holding every connection would starve every other tenant.
    for (const name of ['QUERY_API_KEY_CONCURRENCY', 'QUERY_API_MAX_EXPORTS'] as const) {
      if (env[name] >= env.DATABASE_POOL_SIZE) {
        ctx.addIssue({ code: 'custom', path: [name], message: `must be less than DATABASE_POOL_SIZE (${env.DATABASE_POOL_SIZE})` });
      }
    }
  });

export type QueryApiConfig = z.infer<typeof queryApiConfigSchema>;
