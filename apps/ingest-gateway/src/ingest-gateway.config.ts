import { z } from 'zod';
import { databaseEnv, defineConfig, httpEnv, kafkaEnv, logEnv, registryEnv } from '@vigil/config';
import { apiKeyEnv } from '@vigil/store';

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** Environment of the ingest gateway (docs/ingest.md): producers' API keys live in PostgreSQL, events go to Kafka. */
export const ingestGatewayConfig = defineConfig({
  ...kafkaEnv,
  ...registryEnv,
  ...databaseEnv,
  ...httpEnv(4300),
  ...logEnv,
  ...apiKeyEnv,
  /** A request body, after gunzip (413 beyond). */
  VIGIL_INGEST_MAX_BODY_BYTES: positiveInt(100 * 1024 * 1024).default(5 * 1024 * 1024),
  /** Bytes of request bodies being read at once, across the gateway (503 with Retry-After beyond). */
  VIGIL_INGEST_MAX_INFLIGHT_BYTES: positiveInt(4 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  /** Events (or log records) in one request (413 beyond). */
  VIGIL_INGEST_MAX_EVENTS: positiveInt(100_000).default(1000),
  /** One event's JSON (that event is rejected beyond). */
  VIGIL_INGEST_MAX_EVENT_BYTES: positiveInt(10 * 1024 * 1024).default(256 * 1024),
  /** Events per second per producer key, and the burst a key may send at once (429 with Retry-After beyond). */
  VIGIL_INGEST_RATE_PER_SECOND: positiveInt(10_000_000).default(20_000),
  VIGIL_INGEST_RATE_BURST: positiveInt(10_000_000).default(40_000),
  /** How long a client has to send its whole request (a slow client is cut off). */
  VIGIL_INGEST_REQUEST_TIMEOUT_MS: positiveInt(600_000).default(30_000),
});

export type IngestGatewayConfig = z.infer<typeof ingestGatewayConfig>;
