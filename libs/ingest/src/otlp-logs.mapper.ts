import { isIP } from 'node:net';
import { actionForVendorName, catalogEntry, type EventIssue } from '@vigil/events';
import { attributeValue, contentId, isObject, text, type IngestItem, type JsonObject as Json } from './ingest-item.types';

type Attributes = Map<string, unknown>;

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** How deep OTLP values are read; below it a value is replaced by NESTED_TOO_DEEP (the store keeps 8 levels anyway). */
export const MAX_VALUE_DEPTH = 16;
export const NESTED_TOO_DEEP = `(nested deeper than ${MAX_VALUE_DEPTH} levels: left out)`;

/**
 * An OTLP AnyValue as a plain value. Also reads the `arrayValue: ["a", "b"]` shape Thrive's records use (the standard
 * is `arrayValue: { values: [AnyValue] }`), and int64s written as strings or numbers.
 */
export function anyValue(value: unknown, depth = 0): unknown {
  if (!isObject(value)) return undefined;
  // Read recursively, so bounded: a body of 20,000 nested kvlistValues overflowed the stack and failed the whole
  // request (every other record of it too) with a 500.
  if (depth >= MAX_VALUE_DEPTH) return NESTED_TOO_DEEP;
  if ('stringValue' in value) return value['stringValue'];
  if ('boolValue' in value) return value['boolValue'];
  if ('intValue' in value) {
    const n = Number(value['intValue']);
    return Number.isSafeInteger(n) ? n : String(value['intValue']);
  }
  if ('doubleValue' in value) return Number(value['doubleValue']);
  if ('bytesValue' in value) return value['bytesValue'];
  if ('arrayValue' in value) {
    const array = value['arrayValue'];
    return Array.isArray(array)
      ? (array as unknown[]).map((v) => (isObject(v) ? anyValue(v, depth + 1) : v))
      : list(isObject(array) ? array['values'] : []).map((v) => anyValue(v, depth + 1));
  }
  if ('kvlistValue' in value)
    return Object.fromEntries(attributes(isObject(value['kvlistValue']) ? value['kvlistValue']['values'] : [], depth + 1));
  return undefined;
}

function attributes(values: unknown, depth = 0): Attributes {
  const out: Attributes = new Map();
  for (const kv of list(values)) if (isObject(kv) && typeof kv['key'] === 'string') out.set(kv['key'], anyValue(kv['value'], depth));
  return out;
}

/** Nanoseconds since the epoch (a string or a number) as microseconds, or undefined. */
function nanosToMicros(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    const micros = BigInt(typeof value === 'number' ? Math.trunc(value) : value) / 1000n;
    return micros > 0n ? Number(micros) : undefined;
  } catch {
    return undefined;
  }
}

/** OTLP severity numbers: ERROR (17-20) is HIGH, FATAL (21-24) CRITICAL, WARN (13-16) MEDIUM; below, the catalog's. */
function severityOf(n: unknown): string | undefined {
  if (typeof n !== 'number') return undefined;
  if (n >= 21) return 'CRITICAL';
  if (n >= 17) return 'HIGH';
  if (n >= 13) return 'MEDIUM';
  return undefined;
}

/** The attributes a record's envelope fields come from; every other one is kept in the event's `attributes`. */
const MAPPED = new Set([
  'tenant.id',
  'service.name',
  'service.version',
  'host.name',
  'user.id',
  'enduser.id',
  'user.name',
  'user.email',
  'user.roles',
  'client.address',
  'user_agent.original',
  'http.request.method',
  'http.method',
  'http.url',
  'url.full',
  'url.path',
  'http.operation',
  'http.response.status_code',
  'correlation.id',
  'event.name',
  'event.outcome',
]);

function actionOf(record: Json, attrs: Attributes, body: unknown): string | EventIssue {
  const named = text(attrs.get('event.name')) ?? text(record['eventName']);
  for (const candidate of [named, text(body)]) {
    if (candidate === undefined) continue;
    const action = actionForVendorName(candidate, 'thrive');
    if (action !== undefined) return action;
  }
  return {
    path: 'body',
    rule:
      `no catalog action for ${JSON.stringify(named ?? text(body) ?? '')}: set the event.name attribute to a catalog action ` +
      '(e.g. user.login.failed) or send a body the catalog knows (docs/catalog.md)',
  };
}

/** One log record (with its resource's and scope's attributes) as an event envelope (docs/ingest.md has the table). */
function toEnvelope(record: Json, inherited: Attributes, defaultTenant: string): IngestItem {
  const attrs: Attributes = new Map([...inherited, ...attributes(record['attributes'])]);
  const body = anyValue(record['body']);
  const action = actionOf(record, attrs, body);
  if (typeof action !== 'string') return { issues: [action] };
  const micros = nanosToMicros(record['timeUnixNano']) ?? nanosToMicros(record['observedTimeUnixNano']);
  const roles = attrs.get('user.roles');
  const user = text(attrs.get('user.id')) ?? text(attrs.get('enduser.id'));
  const address = text(attrs.get('client.address'));
  const payloadUserId = text(attrs.get('payload.user.id')) ?? text(attrs.get('payload.userId'));
  const outcome = text(attrs.get('event.outcome'))?.toUpperCase();
  const severity = severityOf(record['severityNumber']);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of attrs) {
    if (MAPPED.has(key) && !(key === 'client.address' && address !== undefined && isIP(address) === 0)) continue;
    const v = attributeValue(value);
    if (v !== undefined) extra[key] = v;
  }
  const status = Number(attrs.get('http.response.status_code'));
  const input: Record<string, unknown> = {
    // The same record sent again (an exporter's retry) gets the same id: deduplicated in the store and the SIEMs.
    id: contentId('otlp', { tenantId: text(attrs.get('tenant.id')) ?? defaultTenant, record }, micros),
    ...(micros !== undefined && { time: micros }),
    tenantId: text(attrs.get('tenant.id')),
    action,
    ...(outcome === 'SUCCESS' || outcome === 'FAILURE' ? { outcome } : {}),
    ...(severity !== undefined && severity !== catalogEntry(action)?.severity && { severity }),
    // No user: the emitting service acted (Thrive's config changes by merge-service).
    actor: {
      id: user ?? text(attrs.get('service.name')) ?? 'unknown',
      type: user === undefined ? 'SERVICE' : 'USER',
      name: text(attrs.get('user.name')) ?? text(attrs.get('user.email')) ?? null,
      roles: Array.isArray(roles) ? roles.map(String) : typeof roles === 'string' ? roles.split(',').map((r) => r.trim()) : [],
    },
    // OpenTelemetry allows a host name in client.address: only an IP goes to client.ip, a name stays an attribute.
    client: {
      ip: address !== undefined && isIP(address) !== 0 ? address : null,
      userAgent: text(attrs.get('user_agent.original')) ?? null,
    },
    targets: payloadUserId !== undefined ? [{ type: 'user', id: payloadUserId }] : [],
    http: {
      method: text(attrs.get('http.request.method')) ?? text(attrs.get('http.method')) ?? null,
      url: text(attrs.get('http.url')) ?? text(attrs.get('url.full')) ?? text(attrs.get('url.path')) ?? null,
      operation: text(attrs.get('http.operation')) ?? null,
      statusCode: Number.isInteger(status) && status > 0 ? status : null,
    },
    service: {
      name: text(attrs.get('service.name')) ?? 'unknown-service',
      version: text(attrs.get('service.version')) ?? null,
      host: text(attrs.get('host.name')) ?? null,
    },
    correlationId: text(attrs.get('correlation.id')) ?? null,
    traceId: /^[0-9a-f]{32}$/.test(String(record['traceId'])) && !/^0+$/.test(String(record['traceId'])) ? record['traceId'] : null,
    spanId: /^[0-9a-f]{16}$/.test(String(record['spanId'])) && !/^0+$/.test(String(record['spanId'])) ? record['spanId'] : null,
    description: text(body) ?? null,
    attributes: extra,
  };
  return { input };
}

/**
 * One record as an envelope, or refused alone when it cannot be read: a record nested so deep that reading it (its id
 * hashes its JSON text) overflows the stack is that record's problem, not the request's.
 */
function readRecord(record: Json, resource: Attributes, defaultTenant: string): IngestItem {
  try {
    return toEnvelope(record, resource, defaultTenant);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // Maximum call stack size exceeded (nesting), or an invalid time value: this record's, said as it is.
    return { issues: [{ path: 'logRecords', rule: `a log record that could not be read: ${err.message}` }] };
  }
}

/**
 * The log records of an OTLP ExportLogsServiceRequest (JSON shape; protobuf is decoded to it first), in order, each
 * as an envelope or as the reason it cannot be one. A structure that is not a request at all is one issue.
 */
export function otlpLogsToItems(request: unknown, defaultTenant: string): IngestItem[] {
  if (!isObject(request) || !Array.isArray(request['resourceLogs']))
    return [{ issues: [{ path: 'resourceLogs', rule: 'must be an array (an OTLP ExportLogsServiceRequest)' }] }];
  const items: IngestItem[] = [];
  for (const resourceLogs of request['resourceLogs']) {
    if (!isObject(resourceLogs)) continue;
    const resource = attributes(isObject(resourceLogs['resource']) ? resourceLogs['resource']['attributes'] : []);
    for (const scopeLogs of list(resourceLogs['scopeLogs'])) {
      if (!isObject(scopeLogs)) continue;
      for (const record of list(scopeLogs['logRecords']))
        items.push(
          isObject(record)
            ? readRecord(record, resource, defaultTenant)
            : { issues: [{ path: 'logRecords', rule: 'a log record must be an object' }] },
        );
    }
  }
  return items;
}

/** How many log records a request holds, before mapping them (the request's size limit counts these). */
export function countLogRecords(request: unknown): number {
  if (!isObject(request)) return 0;
  let n = 0;
  for (const r of list(request['resourceLogs']))
    for (const s of list(isObject(r) ? r['scopeLogs'] : [])) n += list(isObject(s) ? s['logRecords'] : []).length;
  return n;
}
