import type { AuthenticationEvent } from '@vigil/events';
import { v7 as uuidv7 } from 'uuid';
import type { KafkaOrigin } from './audit-event.mapper';

/** Epoch microseconds of a Date, plus optional extra microseconds. */
export function microsOf(instant: Date, extraMicros = 0): number {
  return instant.getTime() * 1000 + extraMicros;
}

/** A complete, valid authentication event (tests and benchmarks); every field set so round trips prove something. */
export function makeEvent(overrides: Partial<AuthenticationEvent> = {}): AuthenticationEvent {
  const time = overrides.time ?? microsOf(new Date(), 123);
  return {
    id: uuidv7(),
    time,
    observedTime: time + 1_500,
    tenantId: 'tenant-a',
    category: 'authentication',
    action: 'user.login.failed',
    outcome: 'FAILURE',
    severity: 'MEDIUM',
    actor: { id: 'user-1', name: 'Ada "the first" Lovelace', type: 'USER', roles: ['analyst', 'role,with{odd}"chars\\'] },
    client: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    targets: [{ type: 'user', id: 'user-1', name: 'ada' }],
    http: { method: 'POST', url: '/api/login?next=%2F', operation: 'login', statusCode: 401 },
    service: { name: 'auth', version: '1.4.2', host: 'auth-7f9c' },
    correlationId: 'corr-1',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    description: 'Login failed: incorrect password',
    payload: {
      authMethod: 'password',
      identityProvider: null,
      mfaMethod: null,
      sessionId: null,
      failureReason: 'Incorrect Password',
      failedAttempts: 3,
      needsPasswordReset: false,
      tokenType: null,
      oauthClientId: null,
    },
    attributes: { attempt: 3, ratio: 0.5, locked: false, tags: ['a', 'b'], note: 'ünïcødé ✓' },
    ...overrides,
  };
}

let offset = 0;

/** A distinct Kafka origin per call. */
export function makeOrigin(topic = 'audit.authentication', partition = 0): KafkaOrigin {
  offset += 1;
  return { topic, partition, offset: String(offset) };
}
