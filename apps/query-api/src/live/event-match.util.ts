import ipaddr from 'ipaddr.js';
import type { AuditEvent } from '@vigil/events';
import type { EventCriteria } from '../events/event-filter.validator';
import type { TenantScope } from '../events/tenant-scope.types';

function ipMatches(ip: string | null | undefined, wanted: string, network: boolean): boolean {
  if (ip == null || !ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip);
  if (!network) return address.toString() === wanted;
  const [range, bits] = ipaddr.parseCIDR(wanted);
  return address.kind() === range.kind() && address.match(range, bits);
}

/** The live tail's version of the SQL filter (same criteria and semantics, over a decoded event); the scope is checked first. */
export function eventMatches(scope: TenantScope, criteria: EventCriteria, event: AuditEvent): boolean {
  if (!scope.includes(event.tenantId)) return false;
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
  if (c.text !== undefined) {
    const needle = c.text.toLowerCase();
    const inDescription = event.description?.toLowerCase().includes(needle) ?? false;
    if (!inDescription && !JSON.stringify(event.attributes).toLowerCase().includes(needle)) return false;
  }
  return true;
}
