import type { AuditEvent } from '@vigil/events';
import { TenantScope, type EventCriteria, type ViewerRestriction } from '@vigil/store';
import { anAuditEvent } from './audit-event.factory';

/** The instant every case event happened at (any day works: the store's default partition takes it). */
export const CASE_TIME_MICROS = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

const base = (label: number, overrides: Partial<AuditEvent>): AuditEvent =>
  ({
    ...anAuditEvent({ tenantId: 't1', time: CASE_TIME_MICROS + label, observedTime: CASE_TIME_MICROS + label }),
    id: `00000000-0000-7000-8000-${String(label).padStart(12, '0')}`,
    ...overrides,
  }) as AuditEvent;

/** The events every case runs over, by name. */
export const CASE_EVENTS = {
  loginFailed: base(1, {}),
  logout: base(2, {
    action: 'user.logout.succeeded',
    outcome: 'SUCCESS',
    actor: { id: 'u2', name: null, type: 'SERVICE', roles: [] },
    client: { ip: '2001:db8::1', userAgent: null },
    targets: [{ type: 'role', id: 'r1', name: null }],
    service: { name: 'billing', version: null, host: null },
    correlationId: 'c-2',
    traceId: null,
    description: 'Signed out',
    attributes: { tags: ['alpha', 'beta'], note: 'ünïcødé ✓', count: 42, flag: true },
  }),
  otherTenant: base(3, { tenantId: 't2' }),
  mappedV6: base(4, { client: { ip: '::ffff:18.171.51.239', userAgent: null }, attributes: {} }),
  discount: base(5, { client: null, description: '50%_off today', attributes: { quote: 'say "hi" to C:\\temp' } }),
  lookalike: base(6, { client: { ip: 'not-an-ip', userAgent: null }, description: '50ab_off today', attributes: {} }),
} satisfies Record<string, AuditEvent>;

export type CaseEvent = keyof typeof CASE_EVENTS;

export interface FilterCase {
  name: string;
  criteria: EventCriteria;
  /** The tenant the case queries as; null is the explicit all-tenants scope. */
  tenant: string | null;
  /** A viewer token's restriction within the tenant (an actor, a target), applied by the scope. */
  restriction?: ViewerRestriction;
  matches: readonly CaseEvent[];
}

/** The scope a case queries with: every tenant, one tenant, or a viewer's restricted one. */
export function scopeOfCase(c: FilterCase): TenantScope {
  if (c.tenant === null) return TenantScope.all();
  return c.restriction ? TenantScope.viewer(c.tenant, c.restriction) : TenantScope.tenant(c.tenant);
}

const T1: readonly CaseEvent[] = ['loginFailed', 'logout', 'mappedV6', 'discount', 'lookalike'];
const t1 = (name: string, criteria: EventCriteria, matches: readonly CaseEvent[]): FilterCase => ({
  name,
  criteria,
  tenant: 't1',
  matches,
});
const viewer = (name: string, restriction: ViewerRestriction, criteria: EventCriteria, matches: readonly CaseEvent[]): FilterCase => ({
  name: `viewer scope: ${name}`,
  criteria,
  tenant: 't1',
  restriction,
  matches,
});
const ADA = '6006b9469145130011ec8497';

/**
 * The filter's semantics as a table: `eventMatches` (unit test) and `buildEventWhere` over a real PostgreSQL
 * (integration test) must both select exactly `matches` for each case.
 */
export const FILTER_CASES: readonly FilterCase[] = [
  t1('no criteria: every event of the tenant', {}, T1),
  { name: 'all tenants', criteria: {}, tenant: null, matches: [...T1, 'otherTenant'] },
  { name: 'another tenant', criteria: { actions: ['user.logout.succeeded'] }, tenant: 't2', matches: [] },
  t1('category', { categories: ['authentication'] }, T1),
  t1('category not present', { categories: ['object-access'] }, []),
  t1('exact action', { actions: ['user.logout.succeeded'] }, ['logout']),
  t1('action prefix', { actionPrefixes: ['user.logout.'] }, ['logout']),
  t1('action or prefix', { actions: ['user.logout.succeeded'], actionPrefixes: ['user.login.'] }, T1),
  t1('outcome', { outcome: 'SUCCESS' }, ['logout']),
  t1('actor id', { actorId: 'u2' }, ['logout']),
  t1('actor name', { actorName: 'ada.lovelace@example.com' }, ['loginFailed', 'mappedV6', 'discount', 'lookalike']),
  t1('target type', { targetType: 'role' }, ['logout']),
  t1('target type and id', { targetType: 'role', targetId: 'nope' }, []),
  t1('client address: an IPv4-mapped IPv6 address is another address', { clientIp: '18.171.51.239' }, ['loginFailed']),
  t1('client network', { clientIp: '18.171.0.0/16', clientIpIsNetwork: true }, ['loginFailed']),
  t1('IPv6 network', { clientIp: '2001:db8::/32', clientIpIsNetwork: true }, ['logout']),
  t1('IPv6 address', { clientIp: '2001:db8::1' }, ['logout']),
  t1('service', { service: 'billing' }, ['logout']),
  t1('correlation id', { correlationId: 'c-2' }, ['logout']),
  t1('trace id', { traceId: '1e47addff4d86322eb51230892ffa6e3' }, ['loginFailed', 'mappedV6', 'discount', 'lookalike']),
  t1('text in the description, any case', { text: 'INCORRECT' }, ['loginFailed', 'mappedV6']),
  t1('text in an attribute value', { text: 'web' }, ['loginFailed']),
  t1('text in an attribute key', { text: 'risk.sc' }, ['loginFailed']),
  t1('text in an array element', { text: 'bet' }, ['logout']),
  t1('text in a number', { text: '0.75' }, ['loginFailed']),
  t1('text in a boolean', { text: 'true' }, ['logout']),
  t1('text in non-ASCII text', { text: 'ünïc' }, ['logout']),
  t1('text never matches JSON syntax', { text: 'a", "b' }, []),
  t1('LIKE metacharacters are literal', { text: '50%_' }, ['discount']),
  // The trigram index holds the attributes' jsonb text, where `"` and `\` are escaped: found either way, exactly.
  t1('text with double quotes, in a value', { text: '"hi"' }, ['discount']),
  t1('text with a backslash, in a value', { text: 'C:\\temp' }, ['discount']),
  t1("text never matches a value's JSON escaping", { text: '\\"hi' }, []),
  // The store searches the parts joined into one text (audit_event_search_text): a needle spanning two parts must not match.
  t1('text never spans the description and an attribute key', { text: 'passwordlogin' }, []),
  t1('text never spans an attribute key and its value', { text: 'formweb' }, []),
  t1('text never spans two array elements', { text: 'alphabeta' }, []),
  t1('text never spans a value and the next key', { text: 'webrisk' }, []),
  t1('text in an array element, any case', { text: 'ALPH' }, ['logout']),
  t1('text in an attribute key, any case', { text: 'RISK.SCORE' }, ['loginFailed']),
  t1('text of two characters (too short for a trigram)', { text: 'ou' }, ['logout']),
  t1('text with a space', { text: 'ed ou' }, ['logout']),
  t1('criteria are ANDed', { outcome: 'FAILURE', service: 'billing' }, []),
  viewer('an actor', { actorId: 'u2' }, {}, ['logout']),
  viewer('an actor, the filter naming the same one', { actorId: 'u2' }, { actorId: 'u2' }, ['logout']),
  viewer('an actor, the filter naming another', { actorId: 'u2' }, { actorId: ADA }, []),
  viewer('an actor, the filter narrowing further', { actorId: ADA }, { text: 'incorrect' }, ['loginFailed', 'mappedV6']),
  viewer('a target', { target: { type: 'role', id: 'r1' } }, {}, ['logout']),
  viewer('a target of the right type but another id', { target: { type: 'role', id: 'r2' } }, {}, []),
  viewer('a target id under another type', { target: { type: 'user', id: 'r1' } }, {}, []),
  viewer('a target, the filter naming another type', { target: { type: 'role', id: 'r1' } }, { targetType: 'user' }, []),
  viewer('an actor and a target', { actorId: ADA, target: { type: 'user', id: ADA } }, {}, [
    'loginFailed',
    'mappedV6',
    'discount',
    'lookalike',
  ]),
  viewer('an actor and another actor’s target', { actorId: ADA, target: { type: 'role', id: 'r1' } }, {}, []),
  { name: 'viewer scope: an actor of another tenant', criteria: {}, tenant: 't2', restriction: { actorId: 'u2' }, matches: [] },
];
