import ipaddr from 'ipaddr.js';
import type { AttributeValue, AuditEvent } from '@vigil/events';
import { toInet } from './audit-event.mapper';
import type { EventCriteria } from './event-filter.types';
import type { TenantScope } from './tenant-scope.types';

/**
 * `client_ip = $1::inet` or `client_ip <<= $1::inet` over a decoded address, as the store would hold it
 * (`toInet`): no IPv4-mapped IPv6 folding, since PostgreSQL's inet keeps the two families apart.
 */
function ipMatches(ip: string | null | undefined, wanted: string, network: boolean): boolean {
  const stored = toInet(ip);
  if (stored === null || !ipaddr.isValid(stored)) return false;
  const address = ipaddr.parse(stored);
  if (!network) {
    const other = ipaddr.isValid(wanted) ? ipaddr.parse(wanted) : undefined;
    return other !== undefined && address.kind() === other.kind() && address.toString() === other.toString();
  }
  const [range, bits] = ipaddr.parseCIDR(wanted);
  return address.kind() === range.kind() && address.match(range, bits);
}

/** A value's text as `jsonb #>> '{}'` gives it; arrays are searched element by element. */
function valueTexts(value: AttributeValue): string[] {
  return Array.isArray(value) ? value : [String(value)];
}

/**
 * The description, an attribute key or an attribute value (an array's elements one by one) contains the text, case
 * aside: what buildEventWhere's exact test, `audit_event_search_text(description, attributes) ILIKE %text%` (through
 * `audit_event_text_matches`, behind the trigram index's superset), selects.
 */
function textMatches(event: AuditEvent, text: string): boolean {
  const needle = text.toLowerCase();
  const contains = (haystack: string): boolean => haystack.toLowerCase().includes(needle);
  if (event.description != null && contains(event.description)) return true;
  return Object.entries(event.attributes).some(([key, value]) => contains(key) || valueTexts(value).some(contains));
}

/**
 * `buildEventWhere`'s filter over a decoded event (the live tail), with the same semantics; the scope (tenant, and a
 * viewer's actor and target) is checked first. Both are tested against one table of cases (libs/testing/src/event-filter-cases.util.ts).
 */
export function eventMatches(scope: TenantScope, criteria: EventCriteria, event: AuditEvent): boolean {
  if (!scope.includes(event)) return false;
  const c = criteria;
  if (c.categories && !c.categories.includes(event.category)) return false;
  if (c.actions || c.actionPrefixes) {
    const exact = c.actions?.includes(event.action) ?? false;
    if (!exact && !(c.actionPrefixes ?? []).some((p) => event.action.startsWith(p))) return false;
  }
  if (c.outcome && event.outcome !== c.outcome) return false;
  if (c.actorId !== undefined && event.actor.id !== c.actorId) return false;
  if (c.actorName !== undefined && event.actor.name !== c.actorName) return false;
  if (c.targetType !== undefined || c.targetId !== undefined) {
    const hit = event.targets.some(
      (t) => (c.targetType === undefined || t.type === c.targetType) && (c.targetId === undefined || t.id === c.targetId),
    );
    if (!hit) return false;
  }
  if (c.clientIp !== undefined && !ipMatches(event.client?.ip, c.clientIp, c.clientIpIsNetwork === true)) return false;
  if (c.service !== undefined && event.service.name !== c.service) return false;
  if (c.correlationId !== undefined && event.correlationId !== c.correlationId) return false;
  if (c.traceId !== undefined && event.traceId !== c.traceId) return false;
  if (c.text !== undefined && !textMatches(event, c.text)) return false;
  return true;
}
