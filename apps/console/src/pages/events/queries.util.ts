// The GraphQL documents the events page sends, and the shapes of their answers.

export interface AuditEventNode {
  id: string;
  time: string;
  observedTime: string;
  ingestedAt: string | null;
  tenantId: string;
  category: string;
  action: string;
  outcome: 'SUCCESS' | 'FAILURE' | 'UNKNOWN';
  severity: string;
  description: string | null;
  correlationId: string | null;
  traceId: string | null;
  spanId: string | null;
  actor: { id: string; type: string; name: string | null; roles: string[] };
  targets: { type: string; id: string; name: string | null }[];
  client: { ip: string | null; userAgent: string | null } | null;
  service: { name: string; version: string | null; host: string | null };
  http: { method: string | null; url: string | null; statusCode: number | null; operation: string | null } | null;
  attributes: Record<string, unknown>;
  payload: unknown;
  chain?: { seq: number; hash: string } | null;
}

const COMMON_FIELDS = `id time observedTime ingestedAt tenantId category action outcome severity description correlationId traceId spanId
  actor { id type name roles } targets { type id name } client { ip userAgent } service { name version host }
  http { method url statusCode operation } attributes payload`;

export const EVENTS_QUERY = `query ConsoleEvents($filter: EventFilter!, $first: Int, $after: String, $order: EventOrder) {
  events(filter: $filter, first: $first, after: $after, order: $order) {
    edges { cursor node { ${COMMON_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface EventsAnswer {
  events: { edges: { cursor: string; node: AuditEventNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

export const EVENT_QUERY = `query ConsoleEvent($id: ID!, $allTenants: Boolean) {
  event(id: $id, allTenants: $allTenants) { ${COMMON_FIELDS} chain { seq hash } }
}`;

export interface EventAnswer {
  event: AuditEventNode | null;
}

export const OVERVIEW_QUERY = `query ConsoleOverview($filter: EventFilter!, $bucket: Bucket!) {
  eventCounts(filter: $filter, bucket: $bucket) { counts { bucket count } truncated }
  topActions: topN(filter: $filter, by: ACTION, limit: 5) { key count }
  topActors: topN(filter: $filter, by: ACTOR, limit: 5) { key count }
  topIps: topN(filter: $filter, by: CLIENT_IP, limit: 5) { key count }
}`;

export interface TopEntry {
  key: string | null;
  count: number;
}

export interface OverviewAnswer {
  eventCounts: { counts: { bucket: string; count: number }[]; truncated: boolean };
  topActions: TopEntry[];
  topActors: TopEntry[];
  topIps: TopEntry[];
}

export const LIVE_SUBSCRIPTION = `subscription ConsoleLive($filter: LiveEventFilter) { eventAdded(filter: $filter) { ${COMMON_FIELDS} } }`;

/** Rows the table asks for per page: a screenful many times over, well under the API's 1,000. */
export const PAGE_SIZE = 200;
