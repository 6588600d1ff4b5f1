import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateRollups, ROLLUP_DIMENSIONS, type RollupSource } from './audit-event-rollup.util';

const row = (over: Partial<RollupSource> = {}): RollupSource => ({
  tenantId: 't1',
  time: '2026-11-27T22:41:07.123456Z',
  outcome: 'SUCCESS',
  clientIp: '203.0.113.7',
  actorId: 'u1',
  action: 'user.login.succeeded',
  category: 'authentication',
  serviceName: 'auth',
  ...over,
});

describe(aggregateRollups.name, () => {
  it('counts events and failures per tenant, UTC hour, dimension and value, leaving nulls out', () => {
    const [tenants, hours, dimensions, values, events, failures] = aggregateRollups([
      row(),
      row({ time: '2026-11-27T22:59:59.999999Z', outcome: 'FAILURE', clientIp: null }),
      row({ time: '2026-11-27T23:00:00.000000Z' }),
      row({ tenantId: 't2' }),
    ]);
    const entries = tenants.map((t, i) => `${t} ${hours[i]} ${dimensions[i]} ${values[i]} ${events[i]} ${failures[i]}`);
    assert.ok(entries.includes('t1 2026-11-27T22:00:00Z actor u1 2 1'));
    assert.ok(entries.includes('t1 2026-11-27T22:00:00Z client_ip 203.0.113.7 1 0'), 'the null IP is not counted');
    assert.ok(entries.includes('t1 2026-11-27T22:00:00Z outcome FAILURE 1 1'));
    assert.ok(entries.includes('t1 2026-11-27T23:00:00Z actor u1 1 0'));
    assert.ok(entries.includes('t2 2026-11-27T22:00:00Z service auth 1 0'));
    assert.equal(new Set(dimensions).size, Object.keys(ROLLUP_DIMENSIONS).length, 'every dimension');
    assert.equal(entries.length, 6 + 1 + 6 + 6, 'one entry per key: the failure adds only its outcome to its hour');
  });

  it('leaves a time of another shape (a year past 9999) whole, for the SQL to truncate', () => {
    const [, hours] = aggregateRollups([row({ time: '+010000-01-01T05:06:07.000000Z' })]);
    assert.deepEqual([...new Set(hours)], ['+010000-01-01T05:06:07.000000Z']);
  });
});
