import type { AuthenticationEvent } from '@vigil/events';
import type { KafkaOrigin } from '@vigil/store';
import { anAuditEvent } from './audit-event.factory';

/** Epoch microseconds of a Date, plus optional extra microseconds. */
export function microsOf(instant: Date, extraMicros = 0): number {
  return instant.getTime() * 1000 + extraMicros;
}

/**
 * The testing library's event, with the values that stress the store: quotes, commas, braces and
 * backslashes in array elements (COPY's array literal), escapes in URLs, non-ASCII text, and
 * attribute values of every type.
 */
export function makeEvent(overrides: Partial<AuthenticationEvent> = {}): AuthenticationEvent {
  const time = overrides.time ?? microsOf(new Date(), 123);
  return anAuditEvent({
    time,
    observedTime: time + 1_500,
    tenantId: 'tenant-a',
    actor: { id: 'user-1', name: 'Ada "the first" Lovelace', type: 'USER', roles: ['analyst', 'role,with{odd}"chars\\'] },
    client: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    http: { method: 'POST', url: '/api/login?next=%2F', operation: 'login', statusCode: 401 },
    service: { name: 'auth', version: '1.4.2', host: 'auth-7f9c' },
    correlationId: 'corr-1',
    attributes: { attempt: 3, ratio: 0.5, locked: false, tags: ['a', 'b'], note: 'ünïcødé ✓' },
    ...overrides,
  });
}

let offset = 0;

/** A distinct Kafka origin per call. */
export function makeOrigin(topic = 'audit.authentication', partition = 0): KafkaOrigin {
  offset += 1;
  return { topic, partition, offset: String(offset) };
}
