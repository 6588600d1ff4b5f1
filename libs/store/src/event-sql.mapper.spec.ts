import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEventWhere, buildRollupTop, escapeLike, jsonEscaped, SEARCH_BLOB_SQL, SEARCH_TEXT_SEPARATOR } from './event-sql.mapper';
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
    const [head, textClause] = where.sql.split(` AND (${SEARCH_BLOB_SQL} ILIKE `);
    assert.equal(
      head,
      'tenant_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz AND category = ANY($4::text[]) AND (action = ANY($5::text[]) OR action LIKE $6) AND outcome = $7 AND actor_id = $8 AND actor_name = $9 AND targets @> $10::jsonb AND client_ip <<= $11::inet AND service_name = $12 AND correlation_id = $13 AND trace_id = $14',
    );
    // The text predicate's semantics (attribute keys and values) are proven against PostgreSQL in event-filter.int-spec.ts,
    // its use of the trigram index in free-text-index.int-spec.ts.
    assert.equal(textClause, `$15 AND audit_event_text_matches(coalesce(description, ''), coalesce(attributes, 'null'::jsonb), $16))`);
    assert.equal(where.params[5], 'role.%');
    assert.equal(where.params[9], '[{"type":"user","id":"u2"}]');
    assert.equal(where.params[14], '%50\\%\\_off%');
    assert.equal(where.params[15], '%50\\%\\_off%');
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

  it('escapes a string as jsonb writes it inside quotes, as JSON.stringify does for these characters', () => {
    const tricky = ['say "hi"', 'C:\\temp\\x', 'tab\there\nnl\r\b\f', '\u0001\u001f\u007f', 'ünïcødé ✓ 50%_off', 'plain'];
    for (const s of tricky) assert.equal(jsonEscaped(s), JSON.stringify(s).slice(1, -1), s);
    assert.equal(jsonEscaped('a"b\\c'), 'a\\"b\\\\c');
  });

  it('asks the trigram index for the text as it is and JSON-escaped, then tests it exactly', () => {
    const plain = buildEventWhere(TenantScope.tenant('t'), { ...range, text: 'web' });
    assert.ok(
      plain.sql.includes(
        `(${SEARCH_BLOB_SQL} ILIKE $4 AND audit_event_text_matches(coalesce(description, ''), coalesce(attributes, 'null'::jsonb), $5))`,
      ),
      plain.sql,
    );
    assert.deepEqual(plain.params.slice(3), ['%web%', '%web%']);
    const quoted = buildEventWhere(TenantScope.tenant('t'), { ...range, text: 'say "50%"' });
    assert.ok(
      quoted.sql.includes(`((${SEARCH_BLOB_SQL} ILIKE $4 OR ${SEARCH_BLOB_SQL} ILIKE $5) AND audit_event_text_matches(`),
      quoted.sql,
    );
    assert.deepEqual(quoted.params.slice(3), ['%say "50\\%"%', '%say \\\\"50\\%\\\\"%', '%say "50\\%"%']);
  });
});
