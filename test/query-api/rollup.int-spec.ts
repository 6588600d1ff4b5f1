import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '@vigil/events';
import { requireStack } from '@vigil/testing';
import {
  AuditEventQueryRepository,
  AuditEventRepository,
  GROUP_BY,
  PENDING_ROLLUP_TABLE,
  RollupFolder,
  rollupRange,
  TenantScope,
  type EventFilter,
} from '@vigil/store';
import { eventsOf, QueryTestStore } from './query-api-test.util';

const HOUR = 3600e6;

/** Events of a tenant over the last three days, with varied keys; the IPs are the tenant's own (10.<n>.x.y). */
function varied(tenantId: string, n: number, count: number): AuditEvent[] {
  return eventsOf(
    tenantId,
    count,
    (i) => {
      return {
        action: i % 3 === 0 ? 'user.login.failed' : 'user.login.succeeded',
        outcome: i % 3 === 0 ? 'FAILURE' : 'SUCCESS',
        actor: { id: `user-${i % 7}`, name: null, type: 'USER', roles: [] },
        client: { ip: i % 11 === 0 ? null : `10.${n}.0.${i % 13}`, userAgent: null },
        service: { name: `svc-${i % 4}`, version: null, host: null },
      };
    },
    3 * 24 * 60,
  );
}

describe('query-api rollups (audit_event_hourly, audit_event_daily, audit_event_rollup_pending)', () => {
  const store = new QueryTestStore();
  let repository: AuditEventQueryRepository;
  const a = varied('tenant-a', 1, 600);
  const b = varied('tenant-b', 2, 300);
  /** Stored after a fold, so that some counts are folded and some pending. */
  const later = varied('tenant-a', 1, 900).slice(600);

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    // Every batch twice, and overlapping batches: the rollups must count each stored event once.
    await store.insert(a.slice(0, 400));
    await store.insert(a.slice(200));
    await store.insert(a);
    await store.insert(b);
    await store.insert(b);
    repository = new AuditEventQueryRepository(
      store.pool,
      { statementTimeoutMs: 10_000, exportTimeoutMs: 10_000 },
      new AuditEventRepository(),
    );
  });
  after(() => store.drop());

  /** topN from the rollups equals topN from the events, for every tenant, dimension and rollup-answerable filter. */
  const assertTopMatchesEvents = async (): Promise<void> => {
    const now = Date.now() * 1000;
    const aligned: EventFilter = {
      fromMicros: Math.floor(now / HOUR) * HOUR - 80 * HOUR,
      toMicros: Math.ceil(now / HOUR) * HOUR + HOUR,
      toGiven: true,
    };
    const inner: EventFilter = { ...aligned, fromMicros: aligned.fromMicros + 30 * HOUR, toMicros: aligned.toMicros - 5 * HOUR };
    for (const filter of [aligned, inner, { ...aligned, outcome: 'FAILURE' } as EventFilter]) {
      assert.ok(rollupRange(filter), 'the rollups answer this filter');
      for (const [tenant, ownNet] of [
        ['tenant-a', '10.1.'],
        ['tenant-b', '10.2.'],
      ] as const) {
        const scope = TenantScope.tenant(tenant);
        for (const by of GROUP_BY) {
          const fromRollup = await repository.top(scope, filter, by, 100);
          const fromEvents = await repository.topFromEvents(scope, filter, by, 100);
          assert.deepEqual(fromRollup, fromEvents, `${tenant} by ${by}`);
          assert.ok(fromRollup.length > 0);
          if (by === 'CLIENT_IP')
            assert.ok(
              fromRollup.every((r) => r.key?.startsWith(ownNet)),
              `${tenant} sees only its own IPs`,
            );
        }
      }
      const all = await repository.top(TenantScope.all(), filter, 'CLIENT_IP', 100);
      assert.deepEqual(all, await repository.topFromEvents(TenantScope.all(), filter, 'CLIENT_IP', 100));
    }
  };

  it('answers topN from the counts still pending exactly as from the events, before any fold', async () => {
    const { rows } = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${PENDING_ROLLUP_TABLE}`);
    assert.ok(Number(rows[0]?.n) > 0, 'the stored batches left their counts pending');
    const { rows: folded } = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event_hourly`);
    assert.equal(folded[0]?.n, '0', 'nothing is folded yet');
    await assertTopMatchesEvents();
  });

  it('answers topN from the rollups exactly as from the events, per tenant, and never with another tenant’s values', async () => {
    assert.ok((await new RollupFolder(store.pool).fold()).folded > 0);
    await assertTopMatchesEvents();
    // Some counts folded and some pending, as between two folds: each event counted once still.
    await store.insert(later);
    await assertTopMatchesEvents();
    await new RollupFolder(store.pool).fold();
  });

  it('counts every stored event once per dimension, after duplicate and overlapping batches, once folded', async () => {
    const { rows: base } = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event`);
    assert.equal(base[0]?.n, String(a.length + b.length + later.length));
    for (const table of ['audit_event_hourly', 'audit_event_daily']) {
      const { rows } = await store.pool.query<{ dimension: string; events: string; failures: string }>(
        `SELECT dimension, sum(events)::text AS events, sum(failures)::text AS failures FROM ${table} GROUP BY 1 ORDER BY 1`,
      );
      const { rows: expected } = await store.pool.query<{ failures: string; ips: string; ipFailures: string }>(
        `SELECT count(*) FILTER (WHERE outcome = 'FAILURE')::text AS failures, count(client_ip)::text AS ips,
                count(client_ip) FILTER (WHERE outcome = 'FAILURE')::text AS "ipFailures" FROM audit_event`,
      );
      for (const row of rows) {
        assert.equal(row.events, row.dimension === 'client_ip' ? expected[0]?.ips : base[0]?.n, `${table} ${row.dimension}`);
        assert.equal(
          row.failures,
          row.dimension === 'client_ip' ? expected[0]?.ipFailures : expected[0]?.failures,
          `${table} ${row.dimension}`,
        );
      }
      assert.equal(rows.length, 6, `${table} has the six dimensions`);
    }
  });

  it('leaves to the events a filter the rollups cannot answer', () => {
    const now = Date.now() * 1000;
    assert.equal(rollupRange({ fromMicros: now - 2 * HOUR, toMicros: now, toGiven: false }), null, 'short and not aligned');
    assert.equal(rollupRange({ fromMicros: 0, toMicros: now, toGiven: false, actorId: 'x' }), null, 'another criterion');
    assert.equal(rollupRange({ fromMicros: 0, toMicros: now, toGiven: false, outcome: 'SUCCESS' }), null, 'outcome other than FAILURE');
    assert.deepEqual(rollupRange({ fromMicros: HOUR + 5, toMicros: 30 * HOUR - 5, toGiven: true, categories: [] }), {
      fromMicros: HOUR,
      toMicros: 30 * HOUR,
    });
  });
});
