import { createClient, type Client } from 'graphql-ws';
import { SignJWT, type JWTPayload } from 'jose';
import pino from 'pino';
import WebSocket from 'ws';
import { AuditPublisher } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';
import { ApiKeyRepository, AuditEventRepository, toRow, type ApiKeyRole } from '@vigil/store';
import { anAuditEvent, AppProcess, SchemaStore, testEnv } from '@vigil/testing';

export const PEPPER = 'query-api-test-pepper-0123456789';
export const JWT_SECRET = 'query-api-test-jwt-secret-0123456789abcdef';
export const JWT_ISSUER = 'https://idp.vigil.test';
export const JWT_AUDIENCE = 'vigil-query-api';

/** An HS256 JWT the harness accepts (issuer, audience, 5-minute expiry), with `claims` such as tenant and role. */
export function testJwt(claims: JWTPayload, secret = JWT_SECRET): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuer(JWT_ISSUER);
  return jwt.setAudience(JWT_AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

/** A migrated store in a schema of its own, with helpers to add events and API keys. */
export class QueryTestStore extends SchemaStore {
  private offset = 0;

  constructor() {
    super('qa', 3);
  }

  async insert(events: readonly AuditEvent[]): Promise<void> {
    const rows = events.map((e) => toRow(e, { topic: `audit.${e.category}`, partition: 0, offset: String(this.offset++) }));
    await new AuditEventRepository().insertBatchInTransaction(this.pool, rows);
  }

  async apiKey(tenantId: string, role: ApiKeyRole = 'analyst'): Promise<string> {
    return (await new ApiKeyRepository().create(this.pool, { tenantId, role, name: 'test' }, PEPPER)).key;
  }
}

/** `count` events of a tenant spread over the last `spanMinutes` minutes (newest first), each overridable. */
export function eventsOf(
  tenantId: string,
  count: number,
  overrides: (i: number) => Partial<AuditEvent> = () => ({}),
  spanMinutes = 60,
): AuditEvent[] {
  const now = Date.now() * 1000;
  return Array.from({ length: count }, (_, i) => {
    const time = now - Math.floor(((i + 1) * spanMinutes * 60e6) / (count + 1));
    return { ...anAuditEvent({ tenantId, time, observedTime: time + 10 }), ...overrides(i) } as AuditEvent;
  });
}

/**
 * The query API as a real process (the compiled app, as operators run it) on a free port, against the test store.
 * A process rather than the app's module in-process, so tests use the API only through its edges, not its internals.
 */
export class QueryApiHarness {
  private readonly process: AppProcess;

  constructor(env: Record<string, string>) {
    this.process = new AppProcess('query-api', {
      QUERY_API_LIVE: 'false',
      VIGIL_API_KEY_PEPPER: PEPPER,
      QUERY_API_JWT_SECRET: JWT_SECRET,
      QUERY_API_JWT_ISSUER: JWT_ISSUER,
      QUERY_API_JWT_AUDIENCE: JWT_AUDIENCE,
      LOG_LEVEL: 'silent',
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
      ...env,
    });
  }

  get baseUrl(): string {
    return this.process.baseUrl;
  }

  /** Whether the process still runs (a crash shows here), and its last output lines (for a failing test's message). */
  get alive(): boolean {
    return this.process.alive;
  }

  get output(): string {
    return this.process.output.join('');
  }

  async start(): Promise<this> {
    await this.process.start();
    return this;
  }

  async gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, credential?: string): Promise<GqlResult<T>> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult<T>;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string; stacktrace?: unknown };
}

export interface GqlResult<T> {
  data?: T | null;
  errors?: GqlError[];
}

/** The `extensions.code` of the first error (undefined when the request succeeded). */
export function codeOf(result: GqlResult<unknown>): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

export const EVENTS_QUERY = `query Events($filter: EventFilter!, $first: Int, $after: String, $order: EventOrder) {
  events(filter: $filter, first: $first, after: $after, order: $order) {
    edges { cursor node { id time tenantId action outcome actor { id name } client { ip } attributes description } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface EventsData {
  events: {
    edges: { cursor: string; node: { id: string; time: string; tenantId: string; action: string; outcome: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** An ISO instant `minutes` ago. */
export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}

/** An SDK publisher to the test stack for the live-tail tests, as service `name`, logging nothing. */
export function livePublisher(name: string): AuditPublisher {
  return new AuditPublisher({
    kafka: { brokers: testEnv.kafkaBrokers },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name, version: '1.0.0' },
    logger: pino({ level: 'silent' }),
  });
}

/** What graphql-ws hands `closed` (a ws CloseEvent). */
interface CloseEvent {
  code: number;
  reason: string;
}

/** A graphql-ws subscription that collects what arrives, the errors, the connection's closes and whether it completed. */
export interface LiveSubscriber<T> {
  client: Client;
  events: T[];
  errors: unknown[];
  closes: { code: number; reason: string }[];
  readonly completed: boolean;
}

/** Subscribes to eventAdded on the API at `baseUrl` with `credential` (none: anonymous), selecting `selection`. */
export function subscribeLive<T>(
  baseUrl: string,
  credential: string | undefined,
  selection: string,
  filter?: Record<string, unknown>,
): LiveSubscriber<T> {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: credential ? { Authorization: `Bearer ${credential}` } : {},
    retryAttempts: 0,
    on: { closed: (event) => closes.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
  });
  const events: T[] = [];
  const errors: unknown[] = [];
  let completed = false;
  client.subscribe<{ eventAdded: T }>(
    { query: `subscription ($filter: LiveEventFilter) { eventAdded(filter: $filter) { ${selection} } }`, variables: { filter } },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) events.push(result.data.eventAdded);
      },
      error: (err) => errors.push(err),
      complete: () => (completed = true),
    },
  );
  return {
    client,
    events,
    errors,
    closes,
    get completed() {
      return completed;
    },
  };
}

const SOME_ID = '"0190f5c2-0000-7000-8000-000000000000"';

/**
 * One document per root query field of the schema. Tests that decide every field (authentication, what a viewer may
 * call) compare this list with the schema's, so a new field fails them until it is added here and decided.
 */
export function rootQueries(from: string, to: string): Record<string, string> {
  return {
    events: `{ events(filter: { from: "${from}" }) { pageInfo { hasNextPage } } }`,
    event: `{ event(id: ${SOME_ID}) { id } }`,
    eventCounts: `{ eventCounts(filter: { from: "${from}" }, bucket: HOUR) { truncated } }`,
    topN: `{ topN(filter: { from: "${from}" }, by: ACTOR) { key } }`,
    streams: `{ streams { id } }`,
    stream: `{ stream(id: ${SOME_ID}) { id } }`,
    checkpoints: `{ checkpoints { seq } }`,
    verifyIntegrity: `{ verifyIntegrity(from: "${from}", to: "${to}") { ok } }`,
    me: `{ me { tenantId role } }`,
  };
}

/** One document per mutation of the schema (see rootQueries). */
export const ROOT_MUTATIONS: Record<string, string> = {
  createStream: `mutation { createStream(input: { name: "x", type: "http", settings: { url: "https://x.example" } }) { id } }`,
  updateStream: `mutation { updateStream(id: ${SOME_ID}, input: { name: "y" }) { id } }`,
  enableStream: `mutation { enableStream(id: ${SOME_ID}) { id } }`,
  disableStream: `mutation { disableStream(id: ${SOME_ID}) { id } }`,
  deleteStream: `mutation { deleteStream(id: ${SOME_ID}) { id } }`,
  testStream: `mutation { testStream(id: ${SOME_ID}) { ok } }`,
  replayStream: `mutation { replayStream(id: ${SOME_ID}, from: "2026-01-01T00:00:00Z") { id } }`,
  createViewerToken: `mutation { createViewerToken(input: {}) { token } }`,
};
