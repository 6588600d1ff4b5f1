import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEventWhere, buildRollupTop, escapeLike, SEARCH_TEXT_SEPARATOR } from './event-sql.mapper';
import type { EventFilter } from './event-filter.types';
import { TenantScope } from './tenant-scope.types';

const range: EventFilter = { fromMicros: 1_763_942_400_000_000, toMicros: 1_764_028_800_000_000, toGiven: true };

describe(buildEventWhere.name, () => {
  it('always starts with the tenant predicate and the time range, values as parameters', () => {
    const where = buildEventWhere(TenantScope.tenant("t'1"), range);
    assert.equal(where.sql, 'tenant_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz');
    assert.deepEqual(where.params, ["t'1", '2025-11-24T00:00:00.000000Z', '2025-11-25T00:00:00.000000Z']);
  });

  it('has no tenant predicate only for the explicit all-tenants scope', () => {
    assert.ok(!buildEventWhere(TenantScope.all(), range).sql.includes('tenant_id'));
    assert.throws(() => buildEventWhere({ tenantId: null } as unknown as TenantScope, range), /TenantScope/);
  });

  it('puts a viewer scope’s actor and target right after the tenant, as the actorId and target filters do', () => {
    const scope = TenantScope.viewer('t', { actorId: 'u1', target: { type: 'document', id: 'd1' } });
    const where = buildEventWhere(scope, { ...range, actorId: 'u2' });
    assert.equal(
      where.sql,
      'tenant_id = $1 AND actor_id = $2 AND targets @> $3::jsonb AND time >= $4::timestamptz AND time < $5::timestamptz AND actor_id = $6',
    );
    assert.deepEqual(where.params.slice(0, 3), ['t', 'u1', '[{"type":"document","id":"d1"}]']);
    assert.equal(buildEventWhere(TenantScope.viewer('t', { actorId: 'u1' }), range).sql.split(' AND ')[1], 'actor_id = $2');
    assert.equal(buildEventWhere(TenantScope.viewer('t', {}), range).sql, buildEventWhere(TenantScope.tenant('t'), range).sql);
  });

  it('refuses to read the rollups for a restricted scope (they hold no actor or target)', () => {
    const hours = { fromMicros: range.fromMicros, toMicros: range.toMicros };
    assert.throws(() => buildRollupTop(TenantScope.viewer('t', { actorId: 'u1' }), hours, 'ACTION', false, 10), /rollups/);
    assert.match(buildRollupTop(TenantScope.tenant('t'), hours, 'ACTION', false, 10).sql, /tenant_id = \$1/);
  });

  it('maps every filter to its predicate', () => {
    const where = buildEventWhere(TenantScope.tenant('t'), {
      ...range,
      categories: ['authentication'],
      actions: ['user.login.failed'],
      actionPrefixes: ['role.'],
      outcome: 'FAILURE',
      actorId: 'u1',
      actorName: 'Ada',
      targetType: 'user',
      targetId: 'u2',
      clientIp: '10.0.0.0/8',
      clientIpIsNetwork: true,
      service: 'auth',
      correlationId: 'c',
      traceId: 'tr',
      text: '50%_off',
    });
    const [head, textClause] = where.sql.split(' AND audit_event_search_text(');
    assert.equal(
      head,
      'tenant_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz AND category = ANY($4::text[]) AND (action = ANY($5::text[]) OR action LIKE $6) AND outcome = $7 AND actor_id = $8 AND actor_name = $9 AND targets @> $10::jsonb AND client_ip <<= $11::inet AND service_name = $12 AND correlation_id = $13 AND trace_id = $14',
    );
    // The text predicate's semantics (attribute keys and values) are proven against PostgreSQL in event-filter.int-spec.ts,
    // its use of the trigram index in free-text-index.int-spec.ts.
    assert.equal(textClause, 'description, attributes) ILIKE $15');
    assert.equal(where.params[5], 'role.%');
    assert.equal(where.params[9], '[{"type":"user","id":"u2"}]');
    assert.equal(where.params[14], '%50\\%\\_off%');
  });

  it('adds the keyset predicate in the order of the page', () => {
    const after = { timeMicros: '1763942400000001', id: '0190f5c2-0000-7000-8000-000000000001' };
    assert.match(
      buildEventWhere(TenantScope.tenant('t'), range, after, 'NEWEST_FIRST').sql,
      /\(time, id\) < \(\$4::timestamptz, \$5::uuid\)$/,
    );
    assert.match(buildEventWhere(TenantScope.tenant('t'), range, after, 'OLDEST_FIRST').sql, /\(time, id\) > /);
  });

  it('refuses a text holding the separator of the searched parts, which could match across two of them', () => {
    assert.throws(() => buildEventWhere(TenantScope.tenant('t'), { ...range, text: `out${SEARCH_TEXT_SEPARATOR}tag` }), /U\+001F/);
  });

  it('escapes LIKE metacharacters', () => {
    assert.equal(escapeLike('a%b_c\\d'), 'a\\%b\\_c\\\\d');
  });
});
