import { isIP } from 'node:net';
import type { AttributeValue, AuditEvent, Target } from '@vigil/events';
import { StoreErrorCode, StoreException } from './store.exception';

/** Where a Kafka record came from; offsets are decimal strings as kafkajs gives them. */
export interface KafkaOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** One `audit_event` row as the repository binds it: times as ISO strings with microseconds, jsonb as JSON text. */
export interface AuditEventRow {
  tenantId: string;
  time: string;
  id: string;
  observedTime: string;
  category: string;
  action: string;
  outcome: string;
  severity: string;
  actorId: string;
  actorName: string | null;
  actorType: string;
  actorRoles: string[];
  clientIp: string | null;
  userAgent: string | null;
  serviceName: string;
  serviceVersion: string | null;
  serviceHost: string | null;
  httpMethod: string | null;
  httpUrl: string | null;
  httpOperation: string | null;
  httpStatus: number | null;
  correlationId: string | null;
  traceId: string | null;
  spanId: string | null;
  description: string | null;
  targets: string;
  payload: string | null;
  attributes: string;
  kafkaTopic: string;
  kafkaPartition: number;
  kafkaOffset: string;
}

/** Attribute that keeps a client.ip PostgreSQL's inet cannot hold (the column is then null). */
export const INVALID_CLIENT_IP_ATTRIBUTE = 'vigil.invalidClientIp';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OFFSET = /^\d{1,19}$/;
// eslint-disable-next-line no-control-regex -- NUL is exactly what PostgreSQL refuses
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function invalid(field: string, rule: string): never {
  throw new StoreException(StoreErrorCode.INVALID_EVENT, field, rule);
}

/** Epoch microseconds to an ISO-8601 UTC string that keeps all six fractional digits. */
export function microsToTimestamp(micros: number, field = 'time'): string {
  if (!Number.isSafeInteger(micros)) invalid(field, 'must be an integer number of microseconds since the epoch');
  // Integer arithmetic only: dividing first would round in the last bits of large values.
  const subMillis = ((micros % 1000) + 1000) % 1000;
  const iso = new Date((micros - subMillis) / 1000).toISOString();
  return `${iso.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`;
}

/**
 * PostgreSQL text and jsonb reject NUL and unpaired UTF-16 surrogates; one such string would fail the whole
 * batch and stall the partition, so NUL is removed and a lone surrogate becomes U+FFFD.
 */
export function storableText(value: string): string {
  if (!UNSTORABLE.test(value)) return value;
  return value.replace(NUL_OR_LONE_SURROGATE, (ch) => (ch === '\u0000' ? '' : '\uFFFD'));
}

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}

const text = (value: string | null | undefined): string | null => (value == null ? null : storableText(value));
const json = (value: unknown): string => JSON.stringify(storableJson(value));

/** An address inet accepts, or null. A zone id (fe80::1%eth0) is dropped: it only means something on the sender's host. */
export function toInet(ip: string | null | undefined): string | null {
  if (ip == null) return null;
  const address = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  return isIP(address) === 0 ? null : address;
}

/** Maps a decoded event and its Kafka origin to a row. Throws StoreException naming the field it cannot store. */
export function toRow(event: AuditEvent, origin: KafkaOrigin): AuditEventRow {
  if (!UUID.test(event.id)) invalid('id', 'must be a UUID');
  if (!Number.isInteger(origin.partition) || origin.partition < 0) invalid('kafka.partition', 'must be a non-negative integer');
  if (!OFFSET.test(origin.offset)) invalid('kafka.offset', 'must be a non-negative decimal integer');
  const status = event.http?.statusCode ?? null;
  if (status !== null && (!Number.isInteger(status) || Math.abs(status) > 2 ** 31 - 1))
    invalid('http.statusCode', 'must be a 32-bit integer');
  const clientIp = toInet(event.client?.ip);
  const attributes: Record<string, AttributeValue> = { ...event.attributes };
  const rawIp = event.client?.ip;
  if (rawIp != null && clientIp === null && !(INVALID_CLIENT_IP_ATTRIBUTE in attributes)) attributes[INVALID_CLIENT_IP_ATTRIBUTE] = rawIp;
  return {
    tenantId: storableText(event.tenantId),
    time: microsToTimestamp(event.time, 'time'),
    id: event.id.toLowerCase(),
    observedTime: microsToTimestamp(event.observedTime, 'observedTime'),
    category: storableText(event.category),
    action: storableText(event.action),
    outcome: event.outcome,
    severity: event.severity,
    actorId: storableText(event.actor.id),
    actorName: text(event.actor.name),
    actorType: event.actor.type,
    actorRoles: event.actor.roles.map(storableText),
    clientIp,
    userAgent: text(event.client?.userAgent),
    serviceName: storableText(event.service.name),
    serviceVersion: text(event.service.version),
    serviceHost: text(event.service.host),
    httpMethod: text(event.http?.method),
    httpUrl: text(event.http?.url),
    httpOperation: text(event.http?.operation),
    httpStatus: status,
    correlationId: text(event.correlationId),
    traceId: text(event.traceId),
    spanId: text(event.spanId),
    description: text(event.description),
    targets: json(event.targets),
    payload: event.payload === null ? null : json(event.payload),
    attributes: json(attributes),
    kafkaTopic: origin.topic,
    kafkaPartition: origin.partition,
    kafkaOffset: origin.offset,
  };
}

/** A row as `AuditEventRepository` selects it: times as epoch-microsecond strings, bigint as string. */
export interface AuditEventRecord {
  tenant_id: string;
  time_us: string;
  id: string;
  observed_time_us: string;
  category: string;
  action: string;
  outcome: string;
  severity: string;
  actor_id: string;
  actor_name: string | null;
  actor_type: string;
  actor_roles: string[];
  client_ip: string | null;
  user_agent: string | null;
  service_name: string;
  service_version: string | null;
  service_host: string | null;
  http_method: string | null;
  http_url: string | null;
  http_operation: string | null;
  http_status: number | null;
  correlation_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  description: string | null;
  targets: Target[];
  payload: Record<string, unknown> | null;
  attributes: Record<string, AttributeValue>;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: Date;
}

/** An event read back from the store, with where it came from and when it was stored. */
export interface StoredAuditEvent {
  event: AuditEvent;
  origin: KafkaOrigin;
  ingestedAt: Date;
}

/** The inverse of `toRow`. A client or http object whose fields are all null reads back as null. */
export function fromRecord(r: AuditEventRecord): StoredAuditEvent {
  const hasClient = r.client_ip !== null || r.user_agent !== null;
  const hasHttp = r.http_method !== null || r.http_url !== null || r.http_operation !== null || r.http_status !== null;
  // The row holds what the Avro decoder produced; category and payload were checked together before storing.
  const event = {
    id: r.id,
    time: Number(r.time_us),
    observedTime: Number(r.observed_time_us),
    tenantId: r.tenant_id,
    category: r.category,
    action: r.action,
    outcome: r.outcome,
    severity: r.severity,
    actor: { id: r.actor_id, name: r.actor_name, type: r.actor_type, roles: r.actor_roles },
    client: hasClient ? { ip: r.client_ip, userAgent: r.user_agent } : null,
    targets: r.targets,
    http: hasHttp ? { method: r.http_method, url: r.http_url, operation: r.http_operation, statusCode: r.http_status } : null,
    service: { name: r.service_name, version: r.service_version, host: r.service_host },
    correlationId: r.correlation_id,
    traceId: r.trace_id,
    spanId: r.span_id,
    description: r.description,
    payload: r.payload,
    attributes: r.attributes,
  } as unknown as AuditEvent;
  return { event, origin: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset }, ingestedAt: r.ingested_at };
}
