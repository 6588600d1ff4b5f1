import { v7 as uuidv7 } from 'uuid';
import type { AuditEventInput } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';

/** Tenants of `tenant` the benchmarks' events and inputs are spread over. */
export const BENCH_TENANTS = 50;

/**
 * The i-th event of a benchmark: a realistic failed or successful login spread over 50 tenants of
 * `tenant` and 5,000 users, at `timeMicros`. Pre-built events let a benchmark measure the consumer
 * side without the producer's cost.
 */
export function benchEvent(i: number, tenant: string, timeMicros: number, observedMicros = timeMicros): AuditEvent {
  return {
    id: uuidv7(),
    time: timeMicros,
    observedTime: observedMicros,
    tenantId: `${tenant}-${i % BENCH_TENANTS}`,
    category: 'authentication',
    action: i % 3 === 0 ? 'user.login.succeeded' : 'user.login.failed',
    outcome: i % 3 === 0 ? 'SUCCESS' : 'FAILURE',
    severity: 'MEDIUM',
    actor: { id: `user-${i % 5000}`, name: `user${i % 5000}@example.com`, type: 'USER', roles: ['analyst'] },
    client: { ip: `203.0.113.${i % 250}`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    targets: [{ type: 'session', id: `s-${i}`, name: null }],
    http: { method: 'POST', url: '/api/login', operation: null, statusCode: i % 3 === 0 ? 200 : 401 },
    service: { name: 'auth', version: '2.4.1', host: 'auth-1' },
    correlationId: `req-${i}`,
    traceId: null,
    spanId: null,
    description: 'login attempt',
    payload: null,
    attributes: { attempt: (i % 5) + 1, region: 'eu-west-1' },
  };
}

/**
 * The i-th input a service would hand the SDK: a failed login of one of 5,000 users, spread over 50 tenants of
 * `tenant`. The SDK benchmarks (sdk-publish, event-cpu) publish or prepare these.
 */
export function benchInput(i: number, tenant: string): AuditEventInput {
  return loginInput(i, `${tenant}-${i % BENCH_TENANTS}`);
}

/** The i-th failed login of one of 5,000 users, of exactly this tenant (the ingest bench spreads tenants itself). */
export function loginInput(i: number, tenantId: string): AuditEventInput {
  return {
    action: 'user.login.failed',
    tenantId,
    actor: { id: `user-${i % 5000}`, name: `user${i % 5000}@example.com`, roles: ['analyst'] },
    client: { ip: `203.0.113.${i % 250}`, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    http: { method: 'POST', url: '/api/login', statusCode: 401 },
    correlationId: `req-${i}`,
    payload: { authMethod: 'password', failureReason: 'bad password', failedAttempts: (i % 5) + 1 },
    attributes: { attempt: i % 5, region: 'eu-west-1' },
  };
}
