import { isIP } from 'node:net';
import {
  EVENT_LIMITS,
  fitsUtf8,
  jsonMayHoldUnsafeText,
  microsToIso,
  sanitizeText,
  type AttributeValue,
  type AuditEvent,
} from '@vigil/events';
import { INVALID_CLIENT_IP_ATTRIBUTE } from '@vigil/integrity';
import {
  envelopeFromRecord,
  envelopeRow,
  type AuditEventEnvelopeRecord,
  type AuditEventEnvelopeRow,
} from './generated/audit-event.columns';
import { StoreErrorCode, StoreException } from './store.exception';

/** Where a Kafka record came from; offsets are decimal strings as kafkajs gives them. */
export interface KafkaOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * One `audit_event` row as the repository binds it: the envelope's columns (generated from avro/envelope.avsc:
 * times as ISO strings with microseconds, jsonb as JSON text), and where the event came from in Kafka.
 */
export interface AuditEventRow extends AuditEventEnvelopeRow {
  kafkaTopic: string;
  kafkaPartition: number;
  kafkaOffset: string;
  /** The event's place in its tenant's chain of its category, and its link (hex); absent outside a chain. */
  chainSeq?: string | null;
  chainHash?: string | null;
}

/** Attribute that keeps a client.ip PostgreSQL's inet cannot hold (the column is then null); the chain form moves it alike. */
export { INVALID_CLIENT_IP_ATTRIBUTE };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OFFSET = /^\d{1,19}$/;

function invalid(field: string, rule: string): never {
  throw new StoreException(StoreErrorCode.INVALID_EVENT, field, rule);
}

/** Epoch microseconds to an ISO-8601 UTC string that keeps all six fractional digits (`microsToIso`, checked). */
export function microsToTimestamp(micros: number, field = 'time'): string {
  if (!Number.isSafeInteger(micros)) invalid(field, 'must be an integer number of microseconds since the epoch');
  return microsToIso(micros);
}

/**
 * PostgreSQL text and jsonb reject NUL and unpaired UTF-16 surrogates; one such string would fail the whole
 * batch and stall the partition. Producers sanitise already (sanitizeText, the one rule: each becomes U+FFFD);
 * events published before they did, or by other clients, get the same treatment here.
 */
export const storableText = sanitizeText;

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}

/** JSON text for a jsonb column: sanitised only when JSON.stringify's text shows something to sanitise. */
function json(value: unknown): string {
  const text = JSON.stringify(value);
  return jsonMayHoldUnsafeText(text) ? JSON.stringify(storableJson(value)) : text;
}

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
  const rawIp = event.client?.ip;
  let attributes: Record<string, AttributeValue> = event.attributes ?? {};
  if (rawIp != null && clientIp === null && !(INVALID_CLIENT_IP_ATTRIBUTE in attributes))
    attributes = { ...attributes, [INVALID_CLIENT_IP_ATTRIBUTE]: rawIp };
  const envelope = envelopeRow(event, { text: storableText, timestamp: microsToTimestamp, json });
  // The rollups' keys (audit_event_hourly_pk: tenant, dimension, hour, value) are sized by STORE_INDEX_BUDGET for what
  // the SDK accepts. A record written to Kafka without the SDK is not checked there, and two of its fields could make a
  // key too long while every index of audit_event still holds the row: the service name, which no index of audit_event
  // holds, and a tenant id near the btree limit, beside a rollup value longer than its audit_event indexes' time and id.
  // Refused here, the event is dead-lettered, where a fold that met its counts would fail on every try and leave every
  // tenant's counts pending.
  if (!fitsUtf8(envelope.tenantId, EVENT_LIMITS.tenantId)) invalid('tenantId', `must be at most ${EVENT_LIMITS.tenantId} bytes`);
  if (!fitsUtf8(envelope.serviceName, EVENT_LIMITS.string))
    invalid('service.name', `must be at most ${EVENT_LIMITS.string} bytes of UTF-8`);
  return {
    ...envelope,
    id: event.id.toLowerCase(),
    clientIp,
    attributes: json(attributes),
    kafkaTopic: origin.topic,
    kafkaPartition: origin.partition,
    kafkaOffset: origin.offset,
    // Set by the chain when it links the row (in place); present from the start, so every row has one shape.
    chainSeq: null,
    chainHash: null,
  };
}

/** A row as `AuditEventRepository` selects it: the envelope's columns (times as epoch-microsecond text), and the store's. */
export interface AuditEventRecord extends AuditEventEnvelopeRecord {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: Date;
  chain_seq?: string | null;
  chain_hash?: Buffer | null;
}

/** An event's place in its hash chain (docs/integrity.md): sequence number and link (hex). */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** An event read back from the store, with where it came from, when it was stored and its place in its chain. */
export interface StoredAuditEvent {
  event: AuditEvent;
  origin: KafkaOrigin;
  ingestedAt: Date;
  /** Null for a row stored before the chain existed. */
  chain: ChainPosition | null;
}

/** The inverse of `toRow`. A client or http object whose fields are all null reads back as null. */
export function fromRecord(r: AuditEventRecord): StoredAuditEvent {
  // The row holds what the Avro decoder produced; category and payload were checked together before storing.
  const event = envelopeFromRecord(r) as unknown as AuditEvent;
  const chain = r.chain_seq == null || r.chain_hash == null ? null : { seq: Number(r.chain_seq), hash: r.chain_hash.toString('hex') };
  return {
    event,
    origin: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
    ingestedAt: r.ingested_at,
    chain,
  };
}
