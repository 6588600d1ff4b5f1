import type { AuthenticationEvent } from '@vigil/events';
import { v7 } from 'uuid';

/** A valid authentication event (a failed login) with a fresh UUIDv7 whose timestamp matches `time`; override any field. */
export function anAuditEvent(overrides: Partial<AuthenticationEvent> = {}): AuthenticationEvent {
  const millis = Date.now();
  const time = millis * 1000 + 123;
  return {
    id: v7({ msecs: millis }),
    time,
    observedTime: time + 1_500,
    tenantId: 'eu-west-2_wsc5Rc5b4',
    category: 'authentication',
    action: 'user.login.failed',
    outcome: 'FAILURE',
    severity: 'MEDIUM',
    actor: { id: '6006b9469145130011ec8497', name: 'ada.lovelace@example.com', type: 'USER', roles: ['administrator'] },
    client: {
      ip: '18.171.51.239',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36',
    },
    targets: [{ type: 'user', id: '6006b9469145130011ec8497', name: 'ada.lovelace@example.com' }],
    http: { method: 'POST', url: '/auth/login', operation: 'mutation login', statusCode: 401 },
    service: { name: 'auth-service', version: '26.224.0', host: 'ip-10-187-39-137.eu-west-2.compute.internal' },
    correlationId: 'f3e7bfca-c6c1-4ed6-b1c1-75a4d6637f6b',
    traceId: '1e47addff4d86322eb51230892ffa6e3',
    spanId: 'b5774431ee7650a5',
    description: 'Login failed: incorrect password',
    payload: {
      authMethod: 'password',
      identityProvider: null,
      mfaMethod: null,
      sessionId: null,
      failureReason: 'Incorrect Password',
      failedAttempts: 3,
      needsPasswordReset: null,
      tokenType: null,
      oauthClientId: null,
    },
    attributes: { 'login.form': 'web', 'risk.score': 0.75 },
    ...overrides,
  };
}
