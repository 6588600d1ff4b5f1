import { isIP } from 'node:net';
import { closest, distance } from 'fastest-levenshtein';
import type avsc from 'avsc';
import { catalogEntry, isCategory, suggestAction } from './event-catalog.service';
import type { EventIssue } from './event.exception';
import { readerType, wrapAttribute, type WrappedAttribute } from './avro.codec';
import { fitsUtf8, isStorableText, utf8Length } from './event-text.util';

/**
 * Bounds on what one event may carry: audit records are small; anything bigger is a bug or an attack.
 * String bounds are UTF-8 bytes, as PostgreSQL and Kafka count them (not UTF-16 units: 1,024 CJK characters are
 * 3,072 bytes). They are chosen so that every event the validator accepts fits every index of the store, with
 * room to spare under PostgreSQL's btree row limit of 2,704 bytes (STORE_INDEX_BUDGET below sums the worst case),
 * and one Kafka record under the broker's default message.max.bytes of 1 MiB.
 */
export const EVENT_LIMITS = {
  /** ASCII only (see its pattern), so characters and bytes agree. */
  tenantId: 128,
  /** UTF-8 bytes of any string field not named below (actor.id, targets.*.id, service.name, ...). */
  string: 1024,
  /** UTF-8 bytes of description, http.url, payload strings and attribute strings. */
  longString: 8192,
  roles: 64,
  targets: 100,
  attributes: 100,
  attributeKey: 128,
  attributeArray: 100,
  /** UTF-8 bytes of the whole event as JSON (its Avro form is no larger, give or take a few bytes per number). */
  event: 512 * 1024,
} as const;

/**
 * The widest entry each btree index of the store can get from an accepted event, in bytes of its key columns
 * (before the per-column and per-tuple headers, a few dozen bytes): tenant_id and actor_id are EVENT_LIMITS-bound,
 * action and category come from the catalog, time 8 and id 16 bytes. The spec checks each stays far under 2,704.
 */
export const STORE_INDEX_BUDGET: Readonly<Record<string, number>> = {
  // (tenant_id, actor_id, time, id)
  audit_event_tenant_actor_time_idx: EVENT_LIMITS.tenantId + EVENT_LIMITS.string + 8 + 16,
  // (tenant_id, time, id) INCLUDE (action, actor_id): included columns count toward the row too
  audit_event_tenant_failure_time_idx: EVENT_LIMITS.tenantId + 8 + 16 + EVENT_LIMITS.string + EVENT_LIMITS.string,
  // (tenant_id, action, time, id)
  audit_event_tenant_action_time_idx: EVENT_LIMITS.tenantId + EVENT_LIMITS.string + 8 + 16,
  // rollups: (tenant_id, dimension, hour|day, value), value = actor_id, action, category, outcome, service.name or ip
  audit_event_hourly_pk: EVENT_LIMITS.tenantId + 16 + 8 + EVENT_LIMITS.string,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const HTTP_METHOD = /^[A-Z]{1,16}$/;
const MIN_TIME_MICROS = Date.UTC(2000, 0, 1) * 1000;
/** How far ahead of the validating clock an event's `time` may be: a day. Replay's start reaches back as far. */
export const MAX_FUTURE_TIME_MS = 24 * 3600 * 1000;
const FUTURE_MARGIN_MICROS = MAX_FUTURE_TIME_MS * 1000;

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

function attributeIssues(raw: unknown, out: Record<string, WrappedAttribute>, size: JsonSizeBound): EventIssue[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) return [{ path: 'attributes', rule: 'expected an object of string keys to values' }];
  const issues: EventIssue[] = [];
  let count = 0;
  size.nodes += 1;
  // Own keys, as toAvro encodes them (an inherited enumerable key would be checked and then not sent).
  for (const key of Object.keys(raw)) {
    count++;
    if (key.length > EVENT_LIMITS.attributeKey || !ATTRIBUTE_KEY.test(key)) {
      issues.push({
        path: `attributes.${key}`,
        rule: `key must match ${ATTRIBUTE_KEY.source} and be at most ${EVENT_LIMITS.attributeKey} characters`,
      });
      continue;
    }
    const wrapped = wrapAttribute(raw[key]);
    if (wrapped === undefined) {
      issues.push({ path: `attributes.${key}`, rule: 'must be a string, a finite number, a boolean or an array of strings' });
      continue;
    }
    size.nodes += 2;
    size.chars += key.length;
    if ('string' in wrapped) {
      textIssues(wrapped.string, ['attributes', key], EVENT_LIMITS.longString, issues);
      size.chars += wrapped.string.length;
    }
    if ('array' in wrapped) {
      if (wrapped.array.length > EVENT_LIMITS.attributeArray)
        issues.push({ path: `attributes.${key}`, rule: `at most ${EVENT_LIMITS.attributeArray} items` });
      wrapped.array.forEach((item, i) => textIssues(item, ['attributes', key, i], EVENT_LIMITS.longString, issues));
      size.nodes += wrapped.array.length;
      for (const item of wrapped.array) size.chars += item.length;
    }
    out[key] = wrapped;
  }
  // Said first, as when the count was known before the loop.
  if (count > EVENT_LIMITS.attributes) issues.unshift({ path: 'attributes', rule: `at most ${EVENT_LIMITS.attributes} attributes` });
  return issues;
}

/** A place in the event as the issues name it: field names and array indexes, joined by dots only for an issue. */
type Path = (string | number)[];

/** The rule a string with a NUL or an unpaired surrogate breaks; sanitizeText mends it. */
export const UNSTORABLE_TEXT_RULE = 'must not contain NUL characters or unpaired surrogates (sanitizeText)';

/** A string's byte bound and its storability (sanitizeText makes any string storable). */
function textIssues(value: string, path: Path, maxBytes: number, issues: EventIssue[]): void {
  if (!fitsUtf8(value, maxBytes))
    issues.push({ path: path.join('.'), rule: `at most ${maxBytes} bytes of UTF-8 (got ${utf8Length(value)})` });
  if (!isStorableText(value)) issues.push({ path: path.join('.'), rule: UNSTORABLE_TEXT_RULE });
}

/**
 * What the validator learns of an event's JSON size on its way through every field: UTF-16 units of its strings and
 * keys, and how many keys, values and containers it has. JSON takes at most 6 bytes per unit (`\\uXXXX`) and at
 * most 30 bytes of quotes, separators, brackets or number digits per node, so an event whose bound is under the
 * limit needs no JSON.stringify to know it fits.
 */
interface JsonSizeBound {
  chars: number;
  nodes: number;
}

const maxJsonBytes = (size: JsonSizeBound): number => size.chars * 6 + size.nodes * 30;

/**
 * Every string under `value` against `limit` (strings named `url` get the long bound), adding to the JSON size bound.
 * `path` is the value's place, a stack its callers push to and pop, so no path is built for a string that passes.
 */
function boundedStrings(value: unknown, limit: number, path: Path, issues: EventIssue[], size: JsonSizeBound): void {
  size.nodes++;
  if (typeof value === 'string') {
    size.chars += value.length;
    textIssues(value, path, path.length > 1 && path[path.length - 1] === 'url' ? EVENT_LIMITS.longString : limit, issues);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      boundedStrings(value[i], limit, path, issues, size);
      path.pop();
    }
  } else if (isRecord(value)) {
    for (const k in value) {
      size.chars += k.length;
      path.push(k);
      boundedStrings(value[k], limit, path, issues, size);
      path.pop();
    }
  }
}

interface RecordShape {
  names: string[];
  /** Each field by name. */
  fields: ReadonlyMap<string, avsc.types.Field>;
}
/** Each Avro type's record branch and its field names, worked out once per type rather than per event. */
const recordShapes = new WeakMap<avsc.Type, RecordShape | null>();

function recordShape(type: avsc.Type): RecordShape | undefined {
  let shape = recordShapes.get(type);
  if (shape === undefined) {
    const record =
      type.typeName === 'record'
        ? (type as avsc.types.RecordType)
        : (type as avsc.types.UnwrappedUnionType).types?.find((t) => t.typeName === 'record');
    if (record === undefined || record.typeName !== 'record') shape = null;
    else {
      const fields = (record as avsc.types.RecordType).fields;
      shape = { names: fields.map((f) => f.name), fields: new Map(fields.map((f) => [f.name, f])) };
    }
    recordShapes.set(type, shape);
  }
  return shape ?? undefined;
}

/** Fields a producer wrote that the schema does not have (Avro would silently drop them): usually a typo. */
function undeclaredIssues(event: Shape, category: string): EventIssue[] {
  if (!isCategory(category)) return [];
  const issues: EventIssue[] = [];
  undeclaredFields(event, readerType(category), [], issues, false);
  return issues;
}

/**
 * Keys of an input (what a producer hands the SDK, before completion) that look like a misspelt field: a key the schema
 * does not have, holding a value, near a field the same object lacks (`clinet` without `client`, `actor.nmae` without
 * `name`, `http.statuscode`, `ID`; see `nearField`). Completion copies only the fields it knows, so such a field would
 * vanish from the event unreported. Other keys are not reported: an `actor` taken from a user record may carry an
 * `email`, and completion leaves it out. The payload is not looked at here: it is copied whole, and `validateEvent`
 * refuses any key its schema does not have. The category is the input's, else its action's.
 */
export function misspeltFieldIssues(input: unknown, category?: unknown): EventIssue[] {
  if (!isRecord(input)) return [];
  const action = input['action'];
  const of = category ?? input['category'] ?? (typeof action === 'string' ? catalogEntry(action)?.category : undefined);
  if (typeof of !== 'string' || !isCategory(of)) return [];
  const issues: EventIssue[] = [];
  undeclaredFields(input, readerType(of), [], issues, true);
  return issues;
}

/** Two strings of one length that differ only by two neighbouring characters swapped (`nmae`, `tiem`). */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/**
 * The field of `names` that `key` most likely misspells, among those `absent` says the object lacks: the same name in
 * other case (`ID`, `statuscode`), two neighbouring letters swapped, or a few edits away, fewer the shorter the
 * name: none for a name of two letters (`ip` is not `id`), one up to five (`nam`, `acter`), two beyond (`clinet`).
 */
function nearField(key: string, names: readonly string[], absent: (name: string) => boolean): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestEdits = Number.POSITIVE_INFINITY;
  for (const name of names) {
    if (!absent(name)) continue;
    const other = name.toLowerCase();
    const swap = lower !== other && swapped(lower, other);
    const edits = lower === other ? 0 : swap ? 1 : distance(lower, other);
    const allowed = swap ? 1 : name.length <= 2 ? 0 : name.length <= 5 ? 1 : 2;
    if (edits <= allowed && edits < bestEdits) {
      best = name;
      bestEdits = edits;
    }
  }
  return best;
}

/**
 * The fields of `value` its record type does not have, then those of the records (alone or in arrays) it holds. With
 * `misspeltOnly`, only keys that look like a misspelt field the object lacks (misspeltFieldIssues), and not the payload.
 */
function undeclaredFields(value: Shape, type: avsc.Type, path: Path, issues: EventIssue[], misspeltOnly: boolean): void {
  const shape = recordShape(type);
  if (shape === undefined) return;
  const { names, fields } = shape;
  // The value's own keys, not the schema's fields: an input names a few of them, and a missing one costs a lookup.
  for (const key in value) {
    if (fields.has(key)) continue;
    if (misspeltOnly) {
      const near = value[key] === undefined ? undefined : nearField(key, names, (name) => value[name] === undefined);
      if (near !== undefined) issues.push({ path: [...path, key].join('.'), rule: `unknown field; did you mean "${near}"?` });
      continue;
    }
    const near = names.length > 0 ? closest(key, names) : undefined;
    const hint = near !== undefined && distance(key, near) <= 2 ? `; did you mean "${near}"?` : '';
    issues.push({ path: [...path, key].join('.'), rule: `unknown field${hint}` });
  }
  for (const key in value) {
    const nested = value[key];
    if (key === 'attributes' || (misspeltOnly && key === 'payload') || typeof nested !== 'object' || nested === null) continue;
    const field = fields.get(key);
    if (field === undefined) continue;
    path.push(key);
    if (isRecord(nested)) undeclaredFields(nested, field.type, path, issues, misspeltOnly);
    else if (Array.isArray(nested) && field.type.typeName === 'array') {
      const items = (field.type as avsc.types.ArrayType).itemsType;
      for (let i = 0; i < nested.length; i++) {
        const item: unknown = nested[i];
        if (!isRecord(item)) continue;
        path.push(i);
        undeclaredFields(item, items, path, issues, misspeltOnly);
        path.pop();
      }
    }
    path.pop();
  }
}

/** Catalog and content rules the Avro schema cannot express. */
function semanticIssues(event: Shape, nowMicros: number, size: JsonSizeBound): EventIssue[] {
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
  const path: Path = [];
  for (const key in event) {
    if (key === 'attributes') continue;
    size.chars += key.length;
    path.push(key);
    const long = key === 'description' || key === 'payload';
    boundedStrings(event[key], long ? EVENT_LIMITS.longString : EVENT_LIMITS.string, path, issues, size);
    path.pop();
  }
  return issues;
}

/** The whole event against one Kafka record's budget (each field may be in bounds while their sum is not). */
function sizeIssues(event: Shape): EventIssue[] {
  const bytes = utf8Length(JSON.stringify(event));
  return bytes > EVENT_LIMITS.event ? [{ path: '(event)', rule: `at most ${EVENT_LIMITS.event} bytes as JSON (got ${bytes})` }] : [];
}

/** How `validateEvent` reads its candidate. */
export interface ValidateOptions {
  /** What "one day from now" is measured from (epoch microseconds); the clock by default. */
  nowMicros?: number;
}

/**
 * Every reason a complete event (defaults already filled) would be refused, by field path and rule.
 * Empty when the event may be published. Checks the Avro schema of its category and the catalog.
 */
export function validateEvent(candidate: unknown, options: ValidateOptions = {}): EventIssue[] {
  if (!isRecord(candidate)) return [{ path: '(event)', rule: 'expected an object' }];
  const { nowMicros = Date.now() * 1000 } = options;
  const attributes: Record<string, WrappedAttribute> = {};
  const size: JsonSizeBound = { chars: 0, nodes: 1 };
  const issues = attributeIssues(candidate['attributes'] ?? {}, attributes, size);
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
  issues.push(...semanticIssues(candidate, nowMicros, size));
  if (issues.length === 0 && maxJsonBytes(size) > EVENT_LIMITS.event) issues.push(...sizeIssues(candidate));
  if (issues.length === 0) return issues;
  // One issue per path and rule, schema problems first.
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\u0000${i.rule}`) && seen.add(`${i.path}\u0000${i.rule}`) !== undefined);
}
