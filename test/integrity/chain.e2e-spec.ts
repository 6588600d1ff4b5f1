import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher, type AuditEventInput } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';
import { createRawKafka } from '@vigil/kafka';
import { AppProcess, requireStack, startGroupAtEnd, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { allTopics } from '@vigil/events';
import { startMaterializer, TestStore } from '../materializer/materializer-test.util';
import { expectedChains, storedChains, verify, type VerifyRun } from './chain-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'chain-e2e' }, logger);
const admin = kafka.admin();
const ACTIONS = ['user.login.failed', 'role.created', 'user.created', 'user.login.succeeded'] as const;

function inputs(tenantId: string, count: number): AuditEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    action: ACTIONS[i % ACTIONS.length] ?? 'user.login.failed',
    tenantId,
    actor: { id: `u-${i}` },
    client: { ip: i % 3 === 0 ? '2001:0DB8::0:1' : `198.51.100.${i % 250}` },
    description: `event ${i}`,
  }));
}

interface Report {
  ok: boolean;
  checked: number;
  chains: { category: string; ok: boolean; finding?: { kind: string; seq: number; id?: string } }[];
  unchained: { count: number; ids: string[] };
}

function reportOf(run: VerifyRun): Report {
  try {
    return JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`vigil verify printed no report (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
  }
}

describe('the hash chain (materializer and vigil verify, real Kafka and PostgreSQL)', () => {
  let publisher: AuditPublisher;
  let store: TestStore;
  let app: AppProcess | undefined;
  let groupId: string;
  let tenant: string;
  let published: AuditEvent[];

  const rowOf = async (category: string, seq: number): Promise<{ id: string; time: string }> => {
    const { rows } = await store.pool.query<{ id: string; time: string }>(
      `SELECT id::text, time::text FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq = $3`,
      [tenant, category, seq],
    );
    if (rows[0] === undefined) throw new Error(`no row ${category}/${seq}`);
    return rows[0];
  };
  /** Runs `tamper`, then verify, then puts the rows back exactly as they were. */
  const tampered = async (tamper: string, params: unknown[] = []): Promise<{ run: VerifyRun; report: Report }> => {
    await store.pool.query(`CREATE TABLE ${store.schema}.backup AS SELECT * FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [
      tenant,
    ]);
    try {
      await store.pool.query(tamper, params);
      const run = await verify(store, ['--tenant', tenant, '--json']);
      return { run, report: reportOf(run) };
    } finally {
      await store.pool.query(`DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [tenant]);
      await store.pool.query(`INSERT INTO ${store.schema}.audit_event SELECT * FROM ${store.schema}.backup`);
      await store.pool.query(`DROP TABLE ${store.schema}.backup`);
    }
  };

  before(async () => {
    await requireStack();
    await admin.connect();
    publisher = new AuditPublisher({
      kafka: { client: kafka },
      schemaRegistry: { url: testEnv.schemaRegistryUrl },
      service: { name: 'chain-e2e' },
      logger,
    });
    store = await new TestStore().create();
    groupId = uniqueName('vigil-materializer-chain');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    app = await startMaterializer(store.databaseUrl(), groupId, { MATERIALIZER_SESSION_TIMEOUT_MS: '6000' });
    tenant = uniqueName('tenant');
    published = await publisher.publishMany(inputs(tenant, 400));
    await waitFor(
      () => store.count(tenant),
      (n) => n === published.length,
      `${published.length} rows`,
    );
  });
  after(async () => {
    await app?.kill();
    await publisher.close();
    await admin.disconnect();
    await store.drop();
  });

  it('chains each category of the tenant in publish order: the links are those computed from the published events', async () => {
    assert.deepEqual(await storedChains(store, tenant), expectedChains(published));
    const run = await verify(store, ['--tenant', tenant]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /intact: 400 events checked/);
  });

  it('finds and locates a changed field, a deleted row, a forged row, two swapped rows and a cut-off end (exit 3)', async () => {
    const category = 'authentication';
    const five = await rowOf(category, 5);
    const altered = await tampered(
      `UPDATE ${store.schema}.audit_event SET description = 'nothing happened' WHERE tenant_id = $1 AND category = $2 AND chain_seq = 5`,
      [tenant, category],
    );
    assert.equal(altered.run.code, 3, altered.run.stderr);
    assert.deepEqual(altered.report.chains.find((c) => c.category === category)?.finding, {
      kind: 'altered',
      seq: 5,
      id: five.id,
      detail: "event 5's content does not match its link",
    });

    const deleted = await tampered(`DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq = 7`, [
      tenant,
      category,
    ]);
    assert.equal(deleted.run.code, 3);
    assert.deepEqual(pick(deleted.report, category), ['deleted', 7]);

    const forged = await tampered(
      `INSERT INTO ${store.schema}.audit_event
         SELECT (jsonb_populate_record(e, jsonb_build_object('id', gen_random_uuid(), 'description', 'forged'))).*
           FROM ${store.schema}.audit_event e WHERE tenant_id = $1 AND category = $2 AND chain_seq = 9`,
      [tenant, category],
    );
    assert.equal(forged.run.code, 3);
    assert.deepEqual(pick(forged.report, category)[0], 'inserted', JSON.stringify(forged.report));

    const unchained = await tampered(
      `INSERT INTO ${store.schema}.audit_event
         SELECT (jsonb_populate_record(e, jsonb_build_object('id', gen_random_uuid(), 'chain_seq', null, 'chain_hash', null))).*
           FROM ${store.schema}.audit_event e WHERE tenant_id = $1 AND category = $2 AND chain_seq = 9`,
      [tenant, category],
    );
    assert.equal(unchained.run.code, 3);
    assert.equal(unchained.report.unchained.count, 1, 'a row added without a place in the chain is reported');

    const [three, four] = [await rowOf(category, 3), await rowOf(category, 4)];
    const swapped = await tampered(
      `UPDATE ${store.schema}.audit_event e SET chain_seq = 7 - e.chain_seq, chain_hash = o.chain_hash
         FROM ${store.schema}.audit_event o
        WHERE e.tenant_id = $1 AND e.category = $2 AND o.tenant_id = $1 AND o.category = $2
          AND e.chain_seq IN (3, 4) AND o.chain_seq = 7 - e.chain_seq`,
      [tenant, category],
    );
    assert.equal(swapped.run.code, 3);
    assert.deepEqual(swapped.report.chains.find((c) => c.category === category)?.finding?.kind, 'reordered');
    assert.ok([three.id, four.id].includes(swapped.report.chains.find((c) => c.category === category)?.finding?.id ?? ''));

    const total = published.filter((e) => e.category === category).length;
    const cut = await tampered(`DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq > $3`, [
      tenant,
      category,
      total - 2,
    ]);
    assert.equal(cut.run.code, 3);
    assert.deepEqual(pick(cut.report, category), ['truncated', total - 1]);

    const after = await verify(store, ['--tenant', tenant]);
    assert.equal(after.code, 0, 'every tamper was undone');
  });

  it('verifies a time range from the stored link before it, and a range with nothing in it', async () => {
    const from = new Date(published[100]?.time ? published[100].time / 1000 : Date.now()).toISOString();
    const run = await verify(store, ['--tenant', tenant, '--from', from, '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = reportOf(run);
    assert.ok(report.checked > 0 && report.checked < 400, `only the range (${report.checked})`);
    const none = await verify(store, ['--tenant', 'nobody-at-all', '--json']);
    assert.equal(none.code, 0);
    assert.equal(reportOf(none).checked, 0);
    const bad = await verify(store, ['--tenant', tenant, '--from', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--from must be an ISO-8601 time/);
  });

  it('after kill -9 in the middle of materializing and a restart, the chain holds every event once and verifies', async () => {
    const second = uniqueName('tenant');
    const sending = publisher.publishMany(inputs(second, 3000));
    await waitFor(
      () => store.count(second),
      (n) => n > 200,
      'the materializer under way',
      60_000,
    );
    await app?.kill();
    const events = await sending;
    app = await startMaterializer(store.databaseUrl(), groupId, { MATERIALIZER_SESSION_TIMEOUT_MS: '6000' });
    await waitFor(
      () => store.count(second),
      (n) => n === events.length,
      `${events.length} rows`,
      120_000,
    );
    assert.deepEqual(await storedChains(store, second), expectedChains(events));
    const run = await verify(store, ['--tenant', second]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
  });
});

function pick(report: Report, category: string): [string | undefined, number | undefined] {
  const finding = report.chains.find((c) => c.category === category)?.finding;
  return [finding?.kind, finding?.seq];
}
