import { randomBytes } from 'node:crypto';
import { anAuditEvent, AppProcess, SchemaStore, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { EventCodec, topicFor, type AuditEvent } from '@vigil/events';
import { createRawKafka, RegistryHttpClient, type RawKafka } from '@vigil/kafka';
import pino from 'pino';
import { QueryApiHarness } from '../query-api/query-api-test.util';

/** Two keys: the first seals, both open (the rotation tests add a third). */
export const SECRET_KEY_A = `ka:${randomBytes(32).toString('base64')}`;
export const SECRET_KEY_B = `kb:${randomBytes(32).toString('base64')}`;

/** What both the query API and the streams app need to agree on, pointed at the test's own schema. */
export function streamsEnv(store: SchemaStore, keys = SECRET_KEY_A): Record<string, string> {
  return {
    DATABASE_URL: store.databaseUrl(),
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    VIGIL_STREAM_SECRET_KEYS: keys,
    // The SIEM doubles listen on 127.0.0.1 over http: allowed here, refused by default.
    VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS: 'true',
    VIGIL_STREAMS_ALLOW_INSECURE_HTTP: 'true',
  };
}

/** The streams app as operators run it, in a consumer group of the test's own, with fast probes and health. */
export function streamsApp(store: SchemaStore, group: string, env: Record<string, string> = {}): AppProcess {
  return new AppProcess('streams', {
    ...streamsEnv(store),
    VIGIL_STREAMS_GROUP: group,
    VIGIL_STREAMS_PROBE_INITIAL_MS: '100',
    VIGIL_STREAMS_PROBE_MAX_MS: '500',
    VIGIL_STREAMS_HEALTH_INTERVAL_MS: '300',
    VIGIL_STREAMS_RELOAD_INTERVAL_MS: '500',
    ...env,
  });
}

export function queryApi(store: SchemaStore, env: Record<string, string> = {}): QueryApiHarness {
  return new QueryApiHarness({ ...streamsEnv(store), ...env });
}

/**
 * Events of several tenants written to one partition of the authentication topic in the given order (keyed by tenant
 * as the SDK keys them): tenants' events interleaved on the same partition, the case a tenant filter must get right.
 */
export class PartitionWriter {
  readonly kafka: RawKafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'streams-e2e' }, pino({ level: 'silent' }));
  private readonly codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
  private readonly producer = this.kafka.producer();
  private connected = false;

  /** `key` overrides the tenant as the records' key: a producer that keys by something else than the event's tenant. */
  async write(events: readonly AuditEvent[], partition = 0, key?: string): Promise<void> {
    if (!this.connected) await this.producer.connect();
    this.connected = true;
    const messages = await Promise.all(events.map(async (e) => ({ key: key ?? e.tenantId, value: await this.codec.encode(e), partition })));
    await this.producer.send({ topic: topicFor('authentication'), messages, acks: -1 });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}

/** `count` login events of each tenant, interleaved a, b, a, b ... */
export function interleaved(tenants: readonly string[], count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++)
    for (const tenantId of tenants) events.push(anAuditEvent({ tenantId, action: 'user.login.succeeded', category: 'authentication' }));
  return events;
}

export const STREAM_FIELDS = `id tenantId name type enabled settings secretNames version categories
  health { state reason recovery lagEvents lagSeconds delivered24h deadLettered lastSuccessAt lastError updatedAt }`;

export const CREATE_STREAM = `mutation Create($input: CreateStreamInput!) { createStream(input: $input) { ${STREAM_FIELDS} } }`;

export interface StreamData {
  id: string;
  tenantId: string;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  secretNames: string[];
  version: number;
  health: {
    state: string;
    reason: string | null;
    recovery: string | null;
    lagEvents: number;
    delivered24h: number;
    lastError: string | null;
  } | null;
}

/** A webhook stream to `url` signed with `secret`, of the authentication category. */
export function webhookStreamInput(url: string, secret: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: uniqueName('siem'),
    type: 'http',
    categories: ['authentication'],
    settings: { url },
    secrets: { signingSecret: secret },
    ...extra,
  };
}

/** Waits until the streams app reports the stream in `state`. */
export async function waitForState(api: QueryApiHarness, key: string, id: string, state: string, timeoutMs = 30_000): Promise<StreamData> {
  const query = `query One($id: ID!) { stream(id: $id) { ${STREAM_FIELDS} } }`;
  return waitFor(
    async () => (await api.gql<{ stream: StreamData | null }>(query, { id }, key)).data?.stream ?? undefined,
    (s) => s?.health?.state === state.toUpperCase(),
    `stream ${id} to be ${state}`,
    timeoutMs,
  ) as Promise<StreamData>;
}
