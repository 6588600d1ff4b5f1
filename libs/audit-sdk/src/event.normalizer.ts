import { trace } from '@opentelemetry/api';
import { v7 as uuidv7 } from 'uuid';
import { catalogEntry, completePayload, isCategory, sanitizeStrings, type AuditEvent } from '@vigil/events';
import type { UntypedAuditEventInput } from './audit-event.input';

export interface ServiceIdentity {
  name: string;
  version: string | null;
  host: string | null;
}

/** Epoch microseconds of a Date, ISO string or microsecond number; NaN when it cannot be read. */
export function toMicros(time: Date | string | number): number {
  if (typeof time === 'number') return time;
  const date = typeof time === 'string' ? new Date(time) : time;
  const ms = date.getTime();
  if (Number.isNaN(ms)) return Number.NaN;
  // Keep the microseconds an ISO string may carry beyond Date's millisecond precision.
  const fraction = typeof time === 'string' ? /\.(\d{4,6})/.exec(time)?.[1] : undefined;
  const extraMicros = fraction !== undefined ? Number(fraction.padEnd(6, '0').slice(3, 6)) : 0;
  return ms * 1000 + extraMicros;
}

/**
 * Completes an input into a full event: ids and times, catalog defaults, the service identity and
 * the active OpenTelemetry span's ids, with every string sanitised (NUL and unpaired surrogates become U+FFFD,
 * see sanitizeText). It does not validate; `validateEvent` does that next.
 */
export function completeEvent(input: UntypedAuditEventInput, service: ServiceIdentity, nowMicros = Date.now() * 1000): AuditEvent {
  return sanitizeStrings(completeFields(input, service, nowMicros));
}

/**
 * `completeEvent` without the sanitising: the strings as the input has them. For a caller that validates next and
 * sanitises only when the validator finds text to mend (UNSTORABLE_TEXT_RULE), which spares nearly every event a walk.
 */
export function completeFields(input: UntypedAuditEventInput, service: ServiceIdentity, nowMicros = Date.now() * 1000): AuditEvent {
  const entry = catalogEntry(input.action);
  const category = input.category ?? entry?.category;
  const span = trace.getActiveSpan()?.spanContext();
  const spanValid = span !== undefined && trace.isSpanContextValid(span);
  const event = {
    id: input.id ?? uuidv7(),
    time: input.time !== undefined ? toMicros(input.time) : nowMicros,
    observedTime: nowMicros,
    tenantId: input.tenantId,
    category,
    action: input.action,
    outcome: input.outcome ?? entry?.outcome ?? 'UNKNOWN',
    severity: input.severity ?? entry?.severity ?? 'INFO',
    actor:
      input.actor === undefined || input.actor === null
        ? undefined
        : { id: input.actor.id, name: input.actor.name ?? null, type: input.actor.type ?? 'USER', roles: input.actor.roles ?? [] },
    client: input.client ? { ip: input.client.ip ?? null, userAgent: input.client.userAgent ?? null } : null,
    targets: (input.targets ?? []).map((t) => ({ type: t.type, id: t.id, name: t.name ?? null })),
    http: input.http
      ? {
          method: input.http.method ?? null,
          url: input.http.url ?? null,
          operation: input.http.operation ?? null,
          statusCode: input.http.statusCode ?? null,
        }
      : null,
    service: {
      name: input.service?.name ?? service.name,
      version: input.service?.version !== undefined ? input.service.version : service.version,
      host: input.service?.host !== undefined ? input.service.host : service.host,
    },
    correlationId: input.correlationId ?? null,
    traceId: input.traceId ?? (spanValid ? span.traceId : null),
    spanId: input.spanId ?? (spanValid ? span.spanId : null),
    description: input.description ?? entry?.description ?? null,
    payload: category !== undefined && isCategory(category) ? completePayload(category, input.payload) : (input.payload ?? null),
    attributes: input.attributes ?? {},
  };
  // Not yet validated: validateEvent reports every missing or malformed field by path.
  return event as unknown as AuditEvent;
}
