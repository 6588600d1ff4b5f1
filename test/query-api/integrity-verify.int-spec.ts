import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '@vigil/events';
import { AuditEventRepository, BatchMaterializer } from '@vigil/store';
import { requireStack } from '@vigil/testing';
import { codeOf, eventsOf, minutesAgo, QueryApiHarness, QueryTestStore, type GqlResult } from './query-api-test.util';

const VERIFY = `query Verify($from: String!, $to: String!, $categories: [String!]) {
  verifyIntegrity(from: $from, to: $to, categories: $categories) {
    tenantId ok complete partial checked skippedCategories unchainedCount signaturesChecked durationMs
    chains { category ok checked firstSeq lastSeq anchorKind checkpoints stopped finding { kind seq eventId detail } }
  }
}`;

interface Report {
  tenantId: string;
  ok: boolean;
  complete: boolean;
  partial: string | null;
  checked: number;
  skippedCategories: string[];
  unchainedCount: number;
  durationMs: number;
  chains: {
    category: string;
    ok: boolean;
    checked: number;
    firstSeq: number;
    lastSeq: number;
    stopped: boolean;
    finding: { kind: string; seq: number; eventId: string | null; detail: string } | null;
  }[];
}

/** Two categories per tenant, so each tenant has two chains. */
const twoCategories = (i: number): Partial<AuditEvent> => (i % 3 === 0 ? { category: 'user-activity' } : {});

describe('query-api verifyIntegrity', () => {
  const store = new QueryTestStore();
  let api: QueryApiHarness;
  let analystA: string;
  let analystB: string;
  let platformA: string;
  let opsA: string;
  const events = { a: eventsOf('tenant-a', 30, twoCategories), b: eventsOf('tenant-b', 24, twoCategories) };
  const range = { from: minutesAgo(120), to: new Date(Date.now() + 60_000).toISOString() };

  const verify = async (key: string, variables: Record<string, unknown> = range): Promise<GqlResult<{ verifyIntegrity: Report }>> =>
    api.gql<{ verifyIntegrity: Report }>(VERIFY, variables, key);
  const reportOf = async (key: string, variables?: Record<string, unknown>): Promise<Report> => {
    const result = await verify(key, variables);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.ok(result.data);
    return result.data.verifyIntegrity;
  };

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    // Chained as the materializer chains them: one Kafka partition per topic, in publish order.
    const materializer = new BatchMaterializer(new AuditEventRepository(), () => true);
    let offset = 0;
    await materializer.store(
      store.pool,
      [...events.a, ...events.b].map((event) => ({
        event,
        origin: { topic: `audit.${event.category}`, partition: 0, offset: String(offset++) },
      })),
    );
    api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl() }).start();
    [analystA, analystB, platformA, opsA] = await Promise.all([
      store.apiKey('tenant-a'),
      store.apiKey('tenant-b'),
      store.apiKey('tenant-a', 'platform-admin'),
      store.apiKey('tenant-a', 'ops'),
    ]);
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  it('reports an untouched range intact, chain by chain', async () => {
    const report = await reportOf(analystA);
    assert.equal(report.tenantId, 'tenant-a');
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.complete, true);
    assert.equal(report.partial, null);
    assert.equal(report.checked, events.a.length);
    assert.deepEqual(report.chains.map((c) => c.category).sort(), ['authentication', 'user-activity']);
    for (const chain of report.chains) {
      assert.equal(chain.ok, true);
      assert.equal(chain.finding, null);
      assert.equal(chain.firstSeq, 1);
      assert.equal(chain.lastSeq, chain.checked);
    }
    assert.ok(report.durationMs >= 0);
    const one = await reportOf(analystA, { ...range, categories: ['user-activity'] });
    assert.deepEqual(
      one.chains.map((c) => c.category),
      ['user-activity'],
    );
  });

  it('reports a row changed in SQL as broken at its sequence number', async () => {
    assert.equal((await reportOf(analystB)).ok, true, 'intact before the change');
    const { rows } = await store.pool.query<{ id: string; seq: string; category: string }>(
      `SELECT id, chain_seq AS seq, category FROM audit_event WHERE tenant_id = 'tenant-b' AND category = 'authentication' AND chain_seq = 5`,
    );
    const [row] = rows;
    assert.ok(row);
    await store.pool.query(`UPDATE audit_event SET description = 'rewritten by someone' WHERE id = $1`, [row.id]);
    const report = await reportOf(analystB);
    assert.equal(report.ok, false);
    const chain = report.chains.find((c) => c.category === 'authentication');
    assert.equal(chain?.ok, false);
    assert.equal(chain.finding?.seq, 5);
    assert.equal(chain.finding.eventId, row.id);
    assert.equal(chain.finding.kind, 'altered');
    assert.equal(report.chains.find((c) => c.category === 'user-activity')?.ok, true, 'the other chain is intact');
  });

  it('walks only the caller’s own tenant’s chains, a platform admin’s included', async () => {
    // tenant-b's chain is broken now (the test before); tenant-a's callers never see it.
    for (const key of [analystA, platformA]) {
      const report = await reportOf(key);
      assert.equal(report.tenantId, 'tenant-a');
      assert.equal(report.ok, true);
      assert.equal(report.checked, events.a.length, 'only tenant-a’s events are walked');
    }
  });

  it('refuses a range above the max span, a bad time, an unknown category and the ops role', async () => {
    const tooLong = await verify(analystA, { from: new Date(Date.now() - 40 * 86_400_000).toISOString(), to: range.to });
    assert.equal(codeOf(tooLong), 'BAD_USER_INPUT');
    assert.equal(tooLong.errors?.[0]?.extensions?.field, 'to');
    assert.match(tooLong.errors?.[0]?.message ?? '', /at most 31 days/);
    assert.equal(codeOf(await verify(analystA, { from: 'yesterday', to: range.to })), 'BAD_USER_INPUT');
    assert.equal(codeOf(await verify(analystA, { from: range.to, to: range.from })), 'BAD_USER_INPUT');
    assert.equal(codeOf(await verify(analystA, { ...range, categories: ['nope'] })), 'BAD_USER_INPUT');
    assert.equal(codeOf(await verify(opsA)), 'FORBIDDEN');
  });

  it('stops at the event bound and says the report is partial', async () => {
    const bounded = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl(), QUERY_API_VERIFY_MAX_EVENTS: '1' }).start();
    try {
      const result = await bounded.gql<{ verifyIntegrity: Report }>(VERIFY, range, analystA);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const report = result.data?.verifyIntegrity;
      assert.equal(report?.complete, false);
      assert.match(report.partial ?? '', /^partial: stopped after \d+ events.*use `vigil verify` for the whole range$/);
      assert.equal(report.chains.length + report.skippedCategories.length, 2, 'each chain walked or listed as skipped');
      assert.ok(report.checked < events.a.length, `not every event walked (${report.checked})`);
    } finally {
      await bounded.stop();
    }
  });
});
