import type { AuditEvent } from '@vigil/events';
import { microsToTimestamp } from '@vigil/store';
import type { AuditEventModel } from './event.model';

/** An event (from the store or the live tail) as the GraphQL AuditEvent. */
export function toEventModel(event: AuditEvent, ingestedAt: Date | null = null): AuditEventModel {
  return {
    id: event.id,
    time: microsToTimestamp(event.time),
    observedTime: microsToTimestamp(event.observedTime, 'observedTime'),
    tenantId: event.tenantId,
    category: event.category,
    action: event.action,
    outcome: event.outcome,
    severity: event.severity,
    actor: { id: event.actor.id, name: event.actor.name, type: event.actor.type, roles: event.actor.roles },
    client: event.client ? { ip: event.client.ip, userAgent: event.client.userAgent } : null,
    targets: event.targets.map((t) => ({ type: t.type, id: t.id, name: t.name })),
    http: event.http ? { ...event.http } : null,
    service: { ...event.service },
    correlationId: event.correlationId,
    traceId: event.traceId,
    spanId: event.spanId,
    description: event.description,
    payload: event.payload,
    attributes: event.attributes,
    ingestedAt: ingestedAt ? ingestedAt.toISOString() : null,
  };
}
