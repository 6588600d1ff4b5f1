import ipaddr from 'ipaddr.js';
import { CATEGORIES, OUTCOMES, type Outcome } from '@vigil/events';
import { QueryException } from '../query.exception';
import type { EventCriteria, EventFilter } from '@vigil/store';

/** The filter as a caller sends it (GraphQL input or export query string), before validation. */
export interface EventFilterFields {
  from?: string | null;
  to?: string | null;
  categories?: readonly string[] | null;
  actions?: readonly string[] | null;
  outcome?: string | null;
  actorId?: string | null;
  actorName?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  clientIp?: string | null;
  service?: string | null;
  correlationId?: string | null;
  traceId?: string | null;
  text?: string | null;
}

export interface FilterLimits {
  maxSpanDays: number;
}

const INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2}))?$/;
const ACTION = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/i;
const MAX_LIST = 50;
const MIN_TEXT = 2;
const MAX_TEXT = 200;
/**
 * Control characters in a search. The store searches the description, attribute keys and values joined by U+001F
 * (audit_event_search_text), so a needle holding it could match across two of them; the others are refused alike.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_VALUE = 500;

/** An ISO-8601 instant (with a zone, or a bare UTC date) to epoch microseconds, keeping all six fractional digits. */
export function parseInstant(value: string, field: string): number {
  const m = INSTANT.exec(value.trim());
  const millis = m ? Date.parse(m[2] ? `${m[1]}T${m[2]}${m[4] ?? 'Z'}` : `${m[1]}T00:00:00Z`) : Number.NaN;
  if (!m || Number.isNaN(millis)) throw QueryException.badInput(field, 'must be an ISO-8601 instant such as 2026-11-21T08:00:00Z');
  const fraction = (m[3] ?? '').padEnd(6, '0');
  return millis * 1000 + Number(fraction);
}

function optionalText(value: string | null | undefined, field: string): string | undefined {
  if (value == null) return undefined;
  if (value.length === 0 || value.length > MAX_VALUE) throw QueryException.badInput(field, `must be 1 to ${MAX_VALUE} characters`);
  return value;
}

function list(values: readonly string[] | null | undefined, field: string): readonly string[] {
  if (values == null) return [];
  if (values.length > MAX_LIST) throw QueryException.badInput(field, `takes at most ${MAX_LIST} values`);
  return values;
}

function clientIp(value: string | undefined): Pick<EventFilter, 'clientIp' | 'clientIpIsNetwork'> {
  if (value === undefined) return {};
  if (ipaddr.isValid(value)) return { clientIp: ipaddr.process(value).toString(), clientIpIsNetwork: false };
  try {
    const [address, bits] = ipaddr.parseCIDR(value);
    return { clientIp: `${address.toString()}/${bits}`, clientIpIsNetwork: true };
  } catch {
    throw QueryException.badInput('filter.clientIp', 'must be an IP address or a CIDR network such as 10.0.0.0/8');
  }
}

/** Validates a caller's filter; every refusal is BAD_USER_INPUT naming the field and the rule. */
export function validateFilter(input: EventFilterFields, limits: FilterLimits, nowMicros: number): EventFilter {
  if (input.from == null) throw QueryException.badInput('filter.from', 'is required');
  const fromMicros = parseInstant(input.from, 'filter.from');
  const toGiven = input.to != null;
  const toMicros = input.to != null ? parseInstant(input.to, 'filter.to') : nowMicros;
  if (toMicros <= fromMicros) throw QueryException.badInput('filter.to', 'must be after filter.from');
  if (toMicros - fromMicros > limits.maxSpanDays * 86_400e6) {
    throw QueryException.badInput(toGiven ? 'filter.to' : 'filter.from', `the time range may span at most ${limits.maxSpanDays} days`);
  }
  return { fromMicros, toMicros, toGiven, ...validateCriteria(input) };
}

/** Validates everything but the time range. */
export function validateCriteria(input: EventFilterFields): EventCriteria {
  const categories = list(input.categories, 'filter.categories');
  for (const category of categories) {
    if (!(CATEGORIES as readonly string[]).includes(category))
      throw QueryException.badInput('filter.categories', `unknown category "${category.slice(0, 60)}"; one of ${CATEGORIES.join(', ')}`);
  }
  const actions: string[] = [];
  const actionPrefixes: string[] = [];
  for (const action of list(input.actions, 'filter.actions')) {
    const prefix = action.endsWith('.*') ? action.slice(0, -2) : undefined;
    if (!ACTION.test(prefix ?? action) || action.length > MAX_VALUE) {
      throw QueryException.badInput(
        'filter.actions',
        'each must be a dotted action (user.login.failed) or a prefix ending in .* (user.login.*)',
      );
    }
    if (prefix === undefined) actions.push(action);
    else actionPrefixes.push(`${prefix}.`);
  }
  if (input.outcome != null && !(OUTCOMES as readonly string[]).includes(input.outcome)) {
    throw QueryException.badInput('filter.outcome', `must be one of ${OUTCOMES.join(', ')}`);
  }
  const text = input.text == null ? undefined : input.text.trim();
  if (text !== undefined && (text.length < MIN_TEXT || text.length > MAX_TEXT))
    throw QueryException.badInput('filter.text', `must be ${MIN_TEXT} to ${MAX_TEXT} characters`);
  if (text !== undefined && CONTROL.test(text))
    throw QueryException.badInput('filter.text', 'must not contain control characters (U+0000 to U+001F, U+007F)');
  const fields = {
    actorId: optionalText(input.actorId, 'filter.actorId'),
    actorName: optionalText(input.actorName, 'filter.actorName'),
    targetType: optionalText(input.targetType, 'filter.targetType'),
    targetId: optionalText(input.targetId, 'filter.targetId'),
    service: optionalText(input.service, 'filter.service'),
    correlationId: optionalText(input.correlationId, 'filter.correlationId'),
    traceId: optionalText(input.traceId, 'filter.traceId'),
    text,
  };
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<typeof fields>;
  return {
    ...(categories.length ? { categories: [...categories] } : {}),
    ...(actions.length ? { actions } : {}),
    ...(actionPrefixes.length ? { actionPrefixes } : {}),
    ...(input.outcome != null ? { outcome: input.outcome as Outcome } : {}),
    ...clientIp(optionalText(input.clientIp, 'filter.clientIp')),
    ...defined,
  };
}
