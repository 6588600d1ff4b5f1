import { isIP } from 'node:net';
import { actionForVendorName, type EventIssue } from '@vigil/events';
import { attributeValue, contentId, flattenAttributes, isObject, text, type IngestItem, type JsonObject } from './ingest-item.types';
import { splitJsonRecords } from './json-records.util';
import { parseVendorTime } from './vendor-time.util';

// The audit-log shapes the seed vendors' products already write, each mapped onto Vigil's envelope through the
// catalog's vendor names (docs/ingest.md has a table per format). Every mapper is total: a record becomes an envelope
// (which the SDK's rules then check) or the issues that say why not, never an exception.

export const IMPORT_FORMATS = ['logichub', 'closer', 'thoughtspot', 'strivacity'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function isImportFormat(value: string): value is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(value);
}

/** One record of an import: where it started in the input, and what it became. */
export interface ImportedRecord {
  line: number;
  item: IngestItem;
}

const issue = (path: string, rule: string): IngestItem => ({ issues: [{ path, rule }] });

/** The first non-empty string among a record's candidate fields. */
function pick(record: JsonObject, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'number') return String(value);
    const t = text(value);
    if (t !== undefined) return t;
  }
  return undefined;
}

function outcomeOf(value: unknown): 'SUCCESS' | 'FAILURE' | undefined {
  const v = typeof value === 'string' ? value.trim().toUpperCase() : typeof value === 'boolean' ? (value ? 'SUCCESS' : 'FAILURE') : '';
  if (['SUCCESS', 'SUCCEEDED', 'OK', 'TRUE'].includes(v)) return 'SUCCESS';
  if (['FAILURE', 'FAILED', 'FAIL', 'ERROR', 'DENIED', 'FALSE'].includes(v)) return 'FAILURE';
  return undefined;
}

/** The time of a record, or the issue at its path. */
function timeOf(path: string, value: unknown): { micros: number } | { issues: EventIssue[] } {
  const parsed = parseVendorTime(value);
  return 'error' in parsed ? { issues: [{ path, rule: parsed.error }] } : parsed;
}

/** A client address that is an IP goes to client.ip; anything else is kept as an attribute, never dropped. */
function clientOf(address: string | undefined, userAgent?: string): { client: JsonObject; extra: JsonObject } {
  if (address === undefined) return { client: { ip: null, userAgent: userAgent ?? null }, extra: {} };
  return isIP(address) !== 0
    ? { client: { ip: address, userAgent: userAgent ?? null }, extra: {} }
    : { client: { ip: null, userAgent: userAgent ?? null }, extra: { 'source.address': address } };
}

/** LogicHub: `{time, category, actor, type, details}`; the action is the catalog's `<category>/<type>` name. */
export function fromLogicHub(record: JsonObject): IngestItem {
  const category = text(record['category']);
  const type = text(record['type']);
  if (category === undefined || type === undefined)
    return issue(category === undefined ? 'category' : 'type', 'is required (LogicHub names an event by category and type)');
  const action = actionForVendorName(`${category}/${type}`, 'logichub');
  if (action === undefined)
    return issue('type', `no catalog action for LogicHub's "${category}/${type}" (docs/catalog.md lists the names Vigil knows)`);
  const time = timeOf('time', record['time']);
  if ('issues' in time) return time;
  const details = isObject(record['details']) ? record['details'] : {};
  const subject = pick(
    details,
    'deletedUserName',
    'deleteUserName',
    'editedUsername',
    'resetUsername',
    'newUsernameCreated',
    'newUserNameCreated',
    'newUsername',
    'newUserName',
  );
  const actor = text(record['actor']);
  return {
    input: {
      id: contentId('logichub', record, time.micros),
      time: time.micros,
      action,
      ...(outcomeOf(details['status']) !== undefined && { outcome: outcomeOf(details['status']) }),
      // Records without an actor (CustomLists) were done by LogicHub itself.
      actor:
        actor !== undefined
          ? { id: actor, roles: text(details['actorRole']) !== undefined ? [details['actorRole']] : [] }
          : { id: 'logichub', type: 'SYSTEM' },
      targets: subject !== undefined ? [{ type: 'user', id: subject }] : [],
      service: { name: 'logichub' },
      ...(text(details['message']) !== undefined && { description: details['message'] }),
      attributes: flattenAttributes(details, 'details'),
    },
  };
}

/** Closer: an Elasticsearch hit (`_source`) or its source: `@timestamp` and ECS fields under `message` (dotted keys). */
export function fromCloser(record: JsonObject): IngestItem {
  const source = isObject(record['_source']) ? record['_source'] : record;
  const message = isObject(source['message']) ? source['message'] : source;
  const field = (name: string): unknown =>
    message[name] ?? name.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), message);
  const name = text(field('event.action'));
  if (name === undefined) return issue('message.event.action', 'is required (Closer names each request by its event.action)');
  const action = actionForVendorName(name, 'closer');
  if (action === undefined) return issue('message.event.action', `no catalog action for Closer's "${name}"`);
  const time = timeOf('@timestamp', source['@timestamp']);
  if ('issues' in time) return time;
  const roles = field('user.roles');
  const { client, extra } = clientOf(text(field('source.ip')), text(field('user_agent.original')));
  const status = Number(field('http.response.status_code'));
  const attributes: JsonObject = { ...extra };
  const body = field('http.request.body.content');
  if (body !== undefined) attributes['http.request.body.content'] = attributeValue(body);
  if (text(record['_id']) !== undefined) attributes['closer.id'] = record['_id'];
  return {
    input: {
      id: contentId('closer', record, time.micros),
      time: time.micros,
      action,
      ...(outcomeOf(field('event.outcome')) !== undefined && { outcome: outcomeOf(field('event.outcome')) }),
      actor:
        text(field('user.id')) !== undefined
          ? { id: field('user.id'), roles: Array.isArray(roles) ? roles.map(String) : [] }
          : { id: 'anonymous', type: 'USER' },
      client,
      http: {
        method: text(field('http.request.method')) ?? null,
        url: text(field('url.full')) ?? null,
        statusCode: Number.isInteger(status) && status >= 100 ? status : null,
      },
      service: { name: 'closer' },
      attributes,
    },
  };
}

/**
 * ThoughtSpot's security events: an event id, the event type (`LOGIN_FAILED`), a description, a UTC timestamp
 * (`yyyy/mm/dd:hh:mm:ss` or ISO), the initiating user's id and public IP, and event-specific fields (attributes).
 */
export function fromThoughtSpot(record: JsonObject): IngestItem {
  const type = pick(record, 'type', 'eventType', 'event_type', 'event', 'name');
  if (type === undefined) return issue('type', 'is required (the ThoughtSpot event name, e.g. LOGIN_FAILED)');
  const action = actionForVendorName(type, 'thoughtspot');
  if (action === undefined) return issue('type', `no catalog action for ThoughtSpot's "${type}"`);
  const time = timeOf('timestamp', record['timestamp'] ?? record['time'] ?? record['eventTime']);
  if ('issues' in time) return time;
  const known = new Set([
    'type',
    'eventType',
    'event_type',
    'event',
    'name',
    'timestamp',
    'time',
    'eventTime',
    'id',
    'eventId',
    'description',
    'userId',
    'user_id',
    'user',
    'ip',
    'publicIp',
    'public_ip',
    'clientIp',
  ]);
  const { client, extra } = clientOf(pick(record, 'ip', 'publicIp', 'public_ip', 'clientIp'));
  const fields: JsonObject = {};
  for (const [key, value] of Object.entries(record)) if (!known.has(key)) fields[key] = value;
  const eventId = pick(record, 'id', 'eventId');
  return {
    input: {
      id: contentId('thoughtspot', eventId ?? record, time.micros),
      time: time.micros,
      action,
      actor: { id: pick(record, 'userId', 'user_id', 'user') ?? 'unknown' },
      client,
      service: { name: 'thoughtspot' },
      ...(text(record['description']) !== undefined && { description: record['description'] }),
      attributes: { ...extra, ...(eventId !== undefined && { 'thoughtspot.id': eventId }), ...flattenAttributes(fields, 'thoughtspot') },
    },
  };
}

/** Strivacity's machine names for the phrases the catalog lists from its documentation. */
const STRIVACITY_TYPES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    login: 'customer login',
    login_success: 'customer login',
    login_succeeded: 'customer login',
    login_failed: 'failed login attempts',
    login_failure: 'failed login attempts',
    password_change: 'changes their password',
    password_changed: 'changes their password',
    mfa_code_sent: 'receives a multi-factor authentication (MFA) code',
    mfa_challenge: 'receives a multi-factor authentication (MFA) code',
    account_update: 'changes to customer accounts',
    account_updated: 'changes to customer accounts',
    policy_update: 'policy updates',
    policy_updated: 'policy updates',
  }),
);

/**
 * Strivacity's streamed events: an `eventID` (kept, so an event links back to the Admin Console), the event type,
 * a timestamp, the customer or administrator, an IP, an outcome, and the claims chosen for the stream (attributes).
 */
export function fromStrivacity(record: JsonObject): IngestItem {
  const type = pick(record, 'eventType', 'type', 'event', 'name');
  if (type === undefined) return issue('eventType', 'is required (the Strivacity event type)');
  const action = actionForVendorName(STRIVACITY_TYPES.get(type.toLowerCase().replace(/[\s-]+/g, '_')) ?? type, 'strivacity');
  if (action === undefined) return issue('eventType', `no catalog action for Strivacity's "${type}"`);
  const time = timeOf('timestamp', record['timestamp'] ?? record['time'] ?? record['eventTime']);
  if ('issues' in time) return time;
  const eventId = pick(record, 'eventID', 'eventId', 'id');
  const { client, extra } = clientOf(pick(record, 'ip', 'ipAddress', 'clientIp'), text(record['userAgent']));
  const claims = record['claims'] ?? record['payload'] ?? record['details'];
  return {
    input: {
      id: contentId('strivacity', eventId ?? record, time.micros),
      time: time.micros,
      action,
      ...(outcomeOf(record['outcome'] ?? record['result'] ?? record['status']) !== undefined && {
        outcome: outcomeOf(record['outcome'] ?? record['result'] ?? record['status']),
      }),
      actor: { id: pick(record, 'actor', 'userId', 'customerId', 'accountId', 'subject') ?? 'unknown' },
      client,
      service: { name: 'strivacity' },
      ...(text(record['description']) !== undefined && { description: record['description'] }),
      attributes: { ...extra, ...(eventId !== undefined && { 'strivacity.eventID': eventId }), ...flattenAttributes(claims, 'claims') },
    },
  };
}

const MAPPERS: Record<ImportFormat, (record: JsonObject) => IngestItem> = {
  logichub: fromLogicHub,
  closer: fromCloser,
  thoughtspot: fromThoughtSpot,
  strivacity: fromStrivacity,
};

/** A record through its format's mapper; a record that makes a mapper throw (a shape nobody foresaw) is refused, never fatal. */
function mapSafely(format: ImportFormat, value: unknown): IngestItem {
  if (!isObject(value)) return { issues: [{ path: '', rule: 'a record must be a JSON object' }] };
  try {
    return MAPPERS[format](value);
  } catch (err) {
    return {
      issues: [
        { path: '', rule: `the record cannot be read as ${format}: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'}` },
      ],
    };
  }
}

/** An Elasticsearch search answer's hits, or the record itself. */
function unwrap(format: ImportFormat, value: unknown): unknown[] {
  if (format === 'closer' && isObject(value) && isObject(value['hits']) && Array.isArray(value['hits']['hits']))
    return value['hits']['hits'];
  return [value];
}

/**
 * Every record of an import body in a vendor's format, in order, each as an envelope or the issues that refuse it.
 * The body is a JSON array, NDJSON, or objects one after the other; a record that is not JSON is refused with its line
 * and column, and the rest still go through.
 */
export function importRecords(format: ImportFormat, body: string, tenantId: string): ImportedRecord[] {
  const out: ImportedRecord[] = [];
  // Two identical records are two events (a file may repeat one): the second gets an id of its own, still stable.
  const seen = new Map<string, number>();
  for (const record of splitJsonRecords(body)) {
    if ('error' in record) {
      out.push({ line: record.line, item: { issues: [{ path: '', rule: record.error }] } });
      continue;
    }
    for (const value of unwrap(format, record.value)) {
      const item = mapSafely(format, value);
      const key = JSON.stringify(value);
      const occurrence = seen.get(key) ?? 0;
      seen.set(key, occurrence + 1);
      if ('input' in item) {
        // The tenant is part of the id: two tenants importing the same record (a vendor's sample file) get two events,
        // never one that the store's (time, id) key would keep for the first tenant only.
        const time = item.input['time'];
        item.input['id'] = contentId(format, { tenantId, id: item.input['id'], occurrence }, typeof time === 'number' ? time : undefined);
      }
      out.push({ line: record.line, item });
    }
  }
  return out;
}
