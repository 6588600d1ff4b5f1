import { z } from 'zod';
import { envBoolean } from '@vigil/config';
import { streamSecretEnv } from './stream-secret.codec';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Settings shared by everything that reads or writes streams (the streams app, the query API, the CLI). */
export const streamPolicyEnv = {
  ...streamSecretEnv,
  /** Streams may send over plain http (tests, a collector on the same host); otherwise https only. */
  VIGIL_STREAMS_ALLOW_INSECURE_HTTP: envBoolean.default(false),
  /** Streams may target private, loopback and link-local addresses; off in production (SSRF). */
  VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS: envBoolean.default(false),
  VIGIL_STREAMS_MAX_PER_TENANT: int(1, 1000).default(20),
};

/** Settings of the streams app's dispatcher. */
export const streamsAppEnv = {
  ...streamPolicyEnv,
  /** A shared batch waits at most this long for one stream; a slower stream leaves the shared path and catches up alone. */
  VIGIL_STREAMS_DETACH_AFTER_MS: int(100, 600_000).default(3000),
  /** Backoff of the probes of a failing stream's SIEM. */
  VIGIL_STREAMS_PROBE_INITIAL_MS: int(10, 600_000).default(1000),
  VIGIL_STREAMS_PROBE_MAX_MS: int(10, 3_600_000).default(60_000),
  /** Consecutive credential refusals after which a stream is suspended (until its secrets change or it is enabled again). */
  VIGIL_STREAMS_SUSPEND_AFTER_AUTH_FAILURES: int(1, 10_000).default(10),
  /** Streams reading from their own checkpoint at once (each holds a Kafka consumer). */
  VIGIL_STREAMS_CATCHUP_CONCURRENCY: int(1, 100).default(8),
  /** Of those, at most this many of one tenant: one tenant's slow SIEMs cannot hold every slot. */
  VIGIL_STREAMS_CATCHUP_PER_TENANT: int(1, 100).default(2),
  /** Partitions the shared reader handles at once. */
  VIGIL_STREAMS_PARTITIONS_CONCURRENTLY: int(1, 256).default(16),
  /** How often streams are reloaded when no change notification arrived, and health is written. */
  VIGIL_STREAMS_RELOAD_INTERVAL_MS: int(100, 600_000).default(5000),
  VIGIL_STREAMS_HEALTH_INTERVAL_MS: int(100, 600_000).default(5000),
  VIGIL_STREAMS_GROUP: z
    .string()
    .regex(/^[\w.-]{1,200}$/)
    .default('vigil-streams'),
};
