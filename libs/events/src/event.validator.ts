import { isIP } from 'node:net';
import { closest, distance } from 'fastest-levenshtein';
import type avsc from 'avsc';
import { catalogEntry, isCategory, suggestAction } from './event-catalog.service';
import type { EventIssue } from './event.exception';
import { readerType, wrapAttribute, type WrappedAttribute } from './avro.codec';
import { hasUnstorableCharacters, utf8Bytes } from './text.util';

/**
 * Bounds on what one event may carry: audit records are small; anything bigger is a bug or an attack. String
 * bounds are in UTF-8 bytes, as PostgreSQL counts them: a 1,024-byte string (with the tenant, the time and the
 * id) always fits the btree row limit of 2,704 bytes of the indexes it is part of (actor_id, action).
 */
export const EVENT_LIMITS = {
  tenantId: 128,
  string: 1024,
  longString: 8192,
  roles: 64,
  targets: 100,
  attributes: 100,
  attributeKey: 128,
  attributeArray: 100,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const HTTP_METHOD = /^[A-Z]{1,16}$/;
const MIN_TIME_MICROS = Date.UTC(2000, 0, 1) * 1000;
const FUTURE_MARGIN_MICROS = 24 * 3600 * 1_000_000;

type Shape = Record<string, unknown>;

function isRecord(value: unknown): value is Shape {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(type: avsc.Type): string {
  if (type.typeName === 'enum') return `must be one of ${(type as avsc.types.EnumType).symbols.join(', ')}`;
  if (type.typeName === 'union:unwrapped' || type.typeName === 'union:wrapped') {
    const branches = (type as avsc.types.UnwrappedUnionType).types.map((t) => t.typeName).filter((n) => n !== 'null');
    return `expected ${branches.join(' or ')}${(type as avsc.types.UnwrappedUnionType).types.some((t) => t.typeName === 'null') ? ' or null' : ''}`;
  }
  if (type.typeName === 'record') return 'expected an object';
  if (type.typeName === 'array') return 'expected an array';
  if (type.typeName === 'map') return 'expected an object';
  if (type.typeName === 'logical:uuid') return 'expected string';
  return `expected ${type.typeName.replace(/^logical:/, '')}`;
}

/** Schema rules: the Avro type of the event's category, with every failing field path. */
function schemaIssues(event: Shape, category: string, attributes: Record<string, WrappedAttribute>): EventIssue[] {
  if (!isCategory(category)) return [];
  const issues: EventIssue[] = [];
  const type = readerType(category);
  // The compiled check is fast; paths are collected only for an event that fails it.
  if (type.isValid({ ...event, attributes })) return issues;
  type.isValid(
    { ...event, attributes },
    {
      errorHook: (path, value, failing) => {
        const where = path.join('.') || '(event)';
        issues.push({ path: where, rule: value === undefined ? 'required' : describeType(failing) });
      },
    },
  );
  return issues;
}

function attributeIssues(raw: unknown, out: Record<string, WrappedAttribute>): EventIssue[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) return [{ path: 'attributes', rule: 'expected an object of string keys to values' }];
  const issues: EventIssue[] = [];
  const entries = Object.entries(raw);
  if (entries.length > EVENT_LIMITS.attributes) issues.push({ path: 'attributes', rule: `at most ${EVENT_LIMITS.attributes} attributes` });
  for (const [key, value] of entries) {
    const path = `attributes.${key}`;
    if (key.length > EVENT_LIMITS.attributeKey || !ATTRIBUTE_KEY.test(key)) {
      issues.push({ path, rule: `key must match ${ATTRIBUTE_KEY.source} and be at most ${EVENT_LIMITS.attributeKey} characters` });
      continue;
    }
    const wrapped = wrapAttribute(value);
    if (wrapped === undefined) {
      issues.push({ path, rule: 'must be a string, a finite number, a boolean or an array of strings' });
      continue;
    }
    if ('string' in wrapped) textIssues(wrapped.string, path, EVENT_LIMITS.longString, issues);
    if ('array' in wrapped) wrapped.array.forEach((item, i) => textIssues(item, `${path}.${i}`, EVENT_LIMITS.string, issues));
    if ('array' in wrapped && wrapped.array.length > EVENT_LIMITS.attributeArray)
      issues.push({ path, rule: `at most ${EVENT_LIMITS.attributeArray} items` });
    out[key] = wrapped;
  }
  return issues;
}

/** A string's bound in UTF-8 bytes, and the characters no store can hold (the SDK replaces them before it validates). */
function textIssues(value: string, path: string, limit: number, issues: EventIssue[]): void {
  // Bytes are at most 3 per UTF-16 unit: only a string that long can be over its bound.
  if (value.length * 3 > limit && utf8Bytes(value) > limit) {
    issues.push({ path, rule: `at most ${limit} bytes of UTF-8 (${utf8Bytes(value)} given)` });
  }
  if (hasUnstorableCharacters(value)) issues.push({ path, rule: 'must not contain NUL characters or unpaired surrogates' });
}

function boundedStrings(value: unknown, path: string, issues: EventIssue[]): void {
  if (typeof value === 'string') {
    const limit =
      path === 'description' || path.endsWith('.url') || path.startsWith('payload.') ? EVENT_LIMITS.longString : EVENT_LIMITS.string;
    textIssues(value, path, limit, issues);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => boundedStrings(item, `${path}.${i}`, issues));
  } else if (isRecord(value) && path !== 'attributes') {
    for (const [k, v] of Object.entries(value)) boundedStrings(v, path === '' ? k : `${path}.${k}`, issues);
  }
}

/** Fields a producer wrote that the schema does not have (Avro would silently drop them): usually a typo. */
function undeclaredIssues(event: Shape, category: string): EventIssue[] {
  if (!isCategory(category)) return [];
  const issues: EventIssue[] = [];
  const check = (value: unknown, type: avsc.Type | undefined, path: string): void => {
    if (!isRecord(value) || type === undefined) return;
    const record =
      type.typeName === 'record'
        ? (type as avsc.types.RecordType)
        : (type as avsc.types.UnwrappedUnionType).types?.find((t) => t.typeName === 'record');
    if (record === undefined || record.typeName !== 'record') return;
    const fields = (record as avsc.types.RecordType).fields;
    const names = fields.map((f) => f.name);
    for (const key of Object.keys(value)) {
      if (names.includes(key)) continue;
      const near = names.length > 0 ? closest(key, names) : undefined;
      const hint = near !== undefined && distance(key, near) <= 2 ? `; did you mean "${near}"?` : '';
      issues.push({ path: path === '' ? key : `${path}.${key}`, rule: `unknown field${hint}` });
    }
    for (const field of fields) {
      if (field.name !== 'attributes') check(value[field.name], field.type, path === '' ? field.name : `${path}.${field.name}`);
    }
  };
  check(event, readerType(category), '');
  return issues;
}

/** Catalog and content rules the Avro schema cannot express. */
function semanticIssues(event: Shape, nowMicros: number): EventIssue[] {
  const issues: EventIssue[] = [];
  const { id, tenantId, action, category, time, client, traceId, spanId, http, actor, targets } = event;
  if (typeof id === 'string' && !UUID.test(id)) issues.push({ path: 'id', rule: 'must be a UUID (Vigil generates UUIDv7)' });
  if (typeof tenantId === 'string' && (tenantId.length === 0 || tenantId.length > EVENT_LIMITS.tenantId || !TENANT.test(tenantId))) {
    issues.push({ path: 'tenantId', rule: `must be 1-${EVENT_LIMITS.tenantId} characters of letters, digits, '.', '_', ':' or '-'` });
  }
  if (typeof action === 'string') {
    const entry = catalogEntry(action);
    if (entry === undefined) {
      const suggestion = suggestAction(action);
      issues.push({
        path: 'action',
        rule: `unknown action "${action}"${suggestion !== undefined ? `; did you mean "${suggestion}"?` : ''}`,
      });
    } else if (typeof category === 'string' && category !== entry.category) {
      issues.push({ path: 'category', rule: `action "${action}" belongs to category "${entry.category}", not "${category}"` });
    }
  }
  if (typeof category === 'string' && !isCategory(category)) issues.push({ path: 'category', rule: `unknown category "${category}"` });
  if (typeof time === 'number' && (time < MIN_TIME_MICROS || time > nowMicros + FUTURE_MARGIN_MICROS)) {
    issues.push({ path: 'time', rule: 'must be between 2000-01-01 and one day from now (epoch microseconds)' });
  }
  if (isRecord(client) && typeof client['ip'] === 'string' && isIP(client['ip']) === 0)
    issues.push({ path: 'client.ip', rule: 'must be an IPv4 or IPv6 address' });
  if (typeof traceId === 'string' && !TRACE_ID.test(traceId)) issues.push({ path: 'traceId', rule: 'must be 32 lowercase hex characters' });
  if (typeof spanId === 'string' && !SPAN_ID.test(spanId)) issues.push({ path: 'spanId', rule: 'must be 16 lowercase hex characters' });
  if (isRecord(http)) {
    const status = http['statusCode'];
    if (typeof status === 'number' && (status < 100 || status > 599))
      issues.push({ path: 'http.statusCode', rule: 'must be between 100 and 599' });
    const method = http['method'];
    if (typeof method === 'string' && !HTTP_METHOD.test(method))
      issues.push({ path: 'http.method', rule: 'must be an upper-case HTTP method' });
  }
  if (isRecord(actor)) {
    if (actor['id'] === '') issues.push({ path: 'actor.id', rule: 'must not be empty' });
    if (Array.isArray(actor['roles']) && actor['roles'].length > EVENT_LIMITS.roles)
      issues.push({ path: 'actor.roles', rule: `at most ${EVENT_LIMITS.roles} roles` });
  }
  if (Array.isArray(targets) && targets.length > EVENT_LIMITS.targets)
    issues.push({ path: 'targets', rule: `at most ${EVENT_LIMITS.targets} targets` });
  const { attributes: _attributes, ...rest } = event;
  boundedStrings(rest, '', issues);
  return issues;
}

/**
 * Every reason a complete event (defaults already filled) would be refused, by field path and rule.
 * Empty when the event may be published. Checks the Avro schema of its category and the catalog.
 */
export function validateEvent(candidate: unknown, nowMicros = Date.now() * 1000): EventIssue[] {
  if (!isRecord(candidate)) return [{ path: '(event)', rule: 'expected an object' }];
  const attributes: Record<string, WrappedAttribute> = {};
  const issues = attributeIssues(candidate['attributes'] ?? {}, attributes);
  const category = candidate['category'];
  const action = candidate['action'];
  const actionKnown = typeof action === 'string' && catalogEntry(action) !== undefined;
  if (typeof category !== 'string') {
    // The category comes from the action; when the action is unknown, that is the one problem to report.
    if (actionKnown || typeof action !== 'string')
      issues.push({ path: 'category', rule: category === undefined ? 'required' : 'expected string' });
  } else {
    issues.push(...schemaIssues(candidate, category, attributes), ...undeclaredIssues(candidate, category));
  }
  issues.push(...semanticIssues(candidate, nowMicros));
  // One issue per path and rule, schema problems first.
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\u0000${i.rule}`) && seen.add(`${i.path}\u0000${i.rule}`) !== undefined);
}
