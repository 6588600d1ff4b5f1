// The streams part of the GraphQL API (docs/streams.md) as the console uses it: the documents and their answers' shapes.

export type StreamStateName = 'ACTIVE' | 'CATCHING_UP' | 'FAILING' | 'PAUSED' | 'SUSPENDED';

export interface StreamHealth {
  state: StreamStateName;
  reason: string | null;
  recovery: string | null;
  lagEvents: number;
  lagSeconds: number;
  delivered24h: number;
  deadLettered: number;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  updatedAt: string;
}

export interface Stream {
  id: string;
  tenantId: string;
  name: string;
  type: string;
  enabled: boolean;
  categories: string[] | null;
  actions: { include: string[]; exclude: string[] };
  minSeverity: string;
  format: string | null;
  settings: unknown;
  secretNames: string[];
  version: number;
  health: StreamHealth | null;
}

export interface StreamTestResult {
  ok: boolean;
  outcome: string;
  message: string;
  eventId: string;
}

const STREAM_FIELDS = `id tenantId name type enabled categories actions { include exclude } minSeverity format settings secretNames version
  health { state reason recovery lagEvents lagSeconds delivered24h deadLettered lastSuccessAt lastErrorAt lastError updatedAt }`;

// Always the signed-in tenant: without tenantId a platform admin would get every tenant's streams.
export const STREAMS_QUERY = `query Streams($tenantId: String) { streams(tenantId: $tenantId) { ${STREAM_FIELDS} } }`;
export const CREATE_STREAM = `mutation CreateStream($input: CreateStreamInput!) { createStream(input: $input) { ${STREAM_FIELDS} } }`;
export const UPDATE_STREAM = `mutation UpdateStream($id: ID!, $input: UpdateStreamInput!) { updateStream(id: $id, input: $input) { ${STREAM_FIELDS} } }`;
export const ENABLE_STREAM = `mutation EnableStream($id: ID!) { enableStream(id: $id) { ${STREAM_FIELDS} } }`;
export const DISABLE_STREAM = `mutation DisableStream($id: ID!) { disableStream(id: $id) { ${STREAM_FIELDS} } }`;
export const DELETE_STREAM = `mutation DeleteStream($id: ID!) { deleteStream(id: $id) { id } }`;
export const TEST_STREAM = `mutation TestStream($id: ID!) { testStream(id: $id) { ok outcome message eventId } }`;
