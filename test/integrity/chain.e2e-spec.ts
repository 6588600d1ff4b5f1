import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher, type AuditEventInput } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';
import { GENESIS, nextLink, parseSigningKeys, signCheckpoint } from '@vigil/integrity';
import { createRawKafka } from '@vigil/kafka';
import { ChainRowRepository, PartitionManager } from '@vigil/store';
import { Clock } from '@vigil/common';
import { AppProcess, requireStack, startGroupAtEnd, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { allTopics } from '@vigil/events';
import { startMaterializer } from '../materializer/materializer-test.util';
import { QueryApiHarness, QueryTestStore } from '../query-api/query-api-test.util';
import { aSigningKey, expectedChains, storedChains, verify, vigil, type VerifyRun } from './chain-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'chain-e2e' }, logger);
const admin = kafka.admin();
/** The materializer's and the CLI's signing keys: k2 signs, k1 is an older key still listed. */
const KEYS = `${aSigningKey('k2')},${aSigningKey('k1')}`;
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
  chains: {
    category: string;
    ok: boolean;
    anchor: { kind: string; seq: number };
    finding?: { kind: string; seq: number; id?: string; detail: string };
  }[];
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
  let store: QueryTestStore;
  let app: AppProcess | undefined;
  let groupId: string;
  let tenant: string;
  let published: AuditEvent[];

  const count = async (tenantId: string): Promise<number> => {
    const { rows } = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return Number(rows[0]?.n ?? 0);
  };
  const rowOf = async (category: string, seq: number): Promise<{ id: string; time: string }> => {
    const { rows } = await store.pool.query<{ id: string; time: string }>(
      `SELECT id::text, time::text FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq = $3`,
      [tenant, category, seq],
    );
    if (rows[0] === undefined) throw new Error(`no row ${category}/${seq}`);
    return rows[0];
  };
  /** Runs `tamper`, then verify, then puts the rows back exactly as they were. */
  const tampered = async (tamper: string, params: unknown[] = [], range: string[] = []): Promise<{ run: VerifyRun; report: Report }> => {
    await store.pool.query(`CREATE TABLE ${store.schema}.backup AS SELECT * FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [
      tenant,
    ]);
    try {
      await store.pool.query(tamper, params);
      const run = await verify(store, ['--tenant', tenant, ...range, '--json']);
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
    store = await new QueryTestStore().create();
    groupId = uniqueName('vigil-materializer-chain');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    app = await startMaterializer(store.databaseUrl(), groupId, {
      MATERIALIZER_SESSION_TIMEOUT_MS: '6000',
      VIGIL_CHAIN_SIGNING_KEYS: KEYS,
    });
    tenant = uniqueName('tenant');
    published = await publisher.publishMany(inputs(tenant, 400));
    await waitFor(
      () => count(tenant),
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

  it('pages a chain by bytes as well as rows: pages cut at one event each still read every place once, in order', async () => {
    const repository = new ChainRowRepository();
    const chain = { tenantId: tenant, category: 'authentication', fromSeq: 1, toSeq: 1_000_000 };
    const whole = await repository.page(store.pool, chain, undefined, 10_000, 1024 * 1024 * 1024);
    assert.equal(whole.more, false);
    assert.ok(whole.rows.length > 10, `${whole.rows.length} events in the chain`);
    // A bound below any one event: each page holds its first event only, and says the chain goes on.
    const seqs: number[] = [];
    let after: (typeof whole.rows)[number] | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages <= whole.rows.length, 'the paging ends');
      const page = await repository.page(store.pool, chain, after, 10_000, 1);
      assert.equal(page.rows.length, 1);
      seqs.push(...page.rows.map((r) => r.seq));
      after = page.rows.at(-1);
      if (!page.more) break;
    }
    assert.deepEqual(
      seqs,
      whole.rows.map((r) => r.seq),
    );
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
    // The same cut, checked over a time range with an end (what verifyIntegrity and the console's Integrity page ask):
    // the walk goes one place past the range's last event, so the range no longer ends cleanly where the rows stop.
    const range = ['--from', new Date(Date.now() - 3_600_000).toISOString(), '--to', new Date(Date.now() + 3_600_000).toISOString()];
    const cutInRange = await tampered(
      `DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = $2 AND chain_seq > $3`,
      [tenant, category, total - 2],
      range,
    );
    assert.equal(cutInRange.run.code, 3, cutInRange.run.stdout);
    assert.deepEqual(pick(cutInRange.report, category), ['truncated', total - 1]);

    const after = await verify(store, ['--tenant', tenant]);
    assert.equal(after.code, 0, 'every tamper was undone');
  });

  it('verifies a time range from the stored link before it, and a range with nothing in it', async () => {
    const from = new Date(published[100]?.time ? published[100].time / 1000 : Date.now()).toISOString();
    const run = await verify(store, ['--tenant', tenant, '--from', from, '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = reportOf(run);
    assert.ok(report.checked > 0 && report.checked < 400, `only the range (${report.checked})`);
    // A range that ends before the chain does: the place after its last event is there, and links on.
    const to = new Date(published[200]?.time ? published[200].time / 1000 : Date.now()).toISOString();
    const ended = await verify(store, ['--tenant', tenant, '--from', from, '--to', to, '--json']);
    assert.equal(ended.code, 0, ended.stderr + ended.stdout);
    const none = await verify(store, ['--tenant', 'nobody-at-all', '--json']);
    assert.equal(none.code, 0);
    assert.equal(reportOf(none).checked, 0);
    const bad = await verify(store, ['--tenant', tenant, '--from', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--from must be an ISO-8601 time/);
  });

  it('signs each chain’s head, publishes it as an event of the tenant, and finds a chain rewritten from an old event on', async () => {
    const run = await vigil(store, ['checkpoint', '--tenant', tenant, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const signed = JSON.parse(run.stdout) as { category: string; seq: number; hash: string; keyId: string; signature: string }[];
    const expected = expectedChains(published);
    assert.deepEqual(signed.map((c) => c.category).sort(), [...expected.keys()].sort(), 'one checkpoint per chain');
    for (const c of signed) {
      assert.equal(c.hash, expected.get(c.category)?.at(-1), `${c.category}: the head's link`);
      assert.equal(c.keyId, 'k2', 'the first key signs');
    }
    // Each is an event of the tenant, stored (and sent to its SIEMs) like any other, carrying the whole checkpoint.
    const stored = await waitFor(
      async () =>
        (
          await store.pool.query<{ attributes: Record<string, unknown> }>(
            `SELECT attributes FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND action = 'audit.checkpoint.signed'`,
            [tenant],
          )
        ).rows,
      (rows) => rows.length === signed.length,
      'the checkpoint events stored',
    );
    assert.deepEqual(stored.map((r) => r.attributes['vigil.chain.signature']).sort(), signed.map((c) => c.signature).sort());
    const again = await vigil(store, ['checkpoint', '--tenant', tenant, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.deepEqual(
      (JSON.parse(again.stdout) as { category: string }[]).map((c) => c.category),
      ['application-change'],
      'only the chain that moved (by the checkpoint events) is signed again',
    );
    assert.equal((await verify(store, ['--tenant', tenant], { VIGIL_CHAIN_SIGNING_KEYS: KEYS })).code, 0);

    // A checkpoint whose signature no longer fits its content.
    await store.pool.query(
      `UPDATE ${store.schema}.audit_chain_checkpoint SET seq = seq - 1 WHERE tenant_id = $1 AND category = 'role-privilege'`,
      [tenant],
    );
    const forged = await verify(store, ['--tenant', tenant, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.equal(forged.code, 3);
    assert.equal(reportOf(forged).chains.find((c) => c.category === 'role-privilege')?.finding?.kind, 'checkpoint');
    await store.pool.query(
      `UPDATE ${store.schema}.audit_chain_checkpoint SET seq = seq + 1 WHERE tenant_id = $1 AND category = 'role-privilege'`,
      [tenant],
    );

    // Someone with the database but not the key changes event 2 and recomputes every link after it, and the head:
    // the chain is consistent again, but no longer the one the checkpoint signed.
    const category = 'authentication';
    const { rows } = await new ChainRowRepository().page(
      store.pool,
      { tenantId: tenant, category, fromSeq: 1, toSeq: 1_000_000 },
      undefined,
      10_000,
      1024 * 1024 * 1024,
    );
    let previous = GENESIS;
    await store.pool.query(`CREATE TABLE ${store.schema}.backup AS SELECT * FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [
      tenant,
    ]);
    const headBefore = await store.pool.query(`SELECT * FROM ${store.schema}.audit_chain_head WHERE tenant_id = $1 AND category = $2`, [
      tenant,
      category,
    ]);
    try {
      for (const row of rows) {
        const event = row.seq === 2 ? { ...row.event, description: 'rewritten' } : row.event;
        previous = nextLink(previous, event);
        await store.pool.query(
          `UPDATE ${store.schema}.audit_event SET chain_hash = $1, description = $2 WHERE tenant_id = $3 AND category = $4 AND chain_seq = $5`,
          [previous, event.description, tenant, category, row.seq],
        );
      }
      await store.pool.query(`UPDATE ${store.schema}.audit_chain_head SET hash = $1 WHERE tenant_id = $2 AND category = $3`, [
        previous,
        tenant,
        category,
      ]);
      const unsigned = await verify(store, ['--tenant', tenant, '--category', category, '--json']);
      const checkpoint = signed.find((c) => c.category === category);
      const rewritten = await verify(store, ['--tenant', tenant, '--category', category, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
      assert.equal(rewritten.code, 3, 'the signed checkpoint gives the rewrite away');
      assert.deepEqual(pick(reportOf(rewritten), category), ['altered', checkpoint?.seq]);
      assert.equal(unsigned.code, 3, 'the stored checkpoints are compared with the chain even without the keys');
    } finally {
      await store.pool.query(`DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1`, [tenant]);
      await store.pool.query(`INSERT INTO ${store.schema}.audit_event SELECT * FROM ${store.schema}.backup`);
      await store.pool.query(`DROP TABLE ${store.schema}.backup`);
      const head = headBefore.rows[0] as { hash: Buffer };
      await store.pool.query(`UPDATE ${store.schema}.audit_chain_head SET hash = $1 WHERE tenant_id = $2 AND category = $3`, [
        head.hash,
        tenant,
        category,
      ]);
    }
    assert.equal((await verify(store, ['--tenant', tenant], { VIGIL_CHAIN_SIGNING_KEYS: KEYS })).code, 0);
  });

  it('serves the public keys, each event’s place and the checkpoints; an export verifies offline and fails after a one-byte edit', async () => {
    const api = await new QueryApiHarness({ DATABASE_URL: store.databaseUrl(), VIGIL_CHAIN_SIGNING_KEYS: KEYS }).start();
    try {
      const key = await store.apiKey(tenant);
      const since = new Date(Date.now() - 86_400_000).toISOString();
      const auth = { authorization: `Bearer ${key}` };
      const keysRes = await fetch(`${api.baseUrl}/v1/integrity/keys`, { headers: auth });
      assert.equal(keysRes.status, 200);
      const keys = (await keysRes.json()) as { keys: { id: string; active: boolean; publicKey: string }[] };
      assert.deepEqual(
        keys.keys.map((k) => [k.id, k.active]),
        [
          ['k2', true],
          ['k1', false],
        ],
      );
      assert.ok(!JSON.stringify(keys).includes(KEYS.split(',')[0]?.split(':')[1]?.slice(0, 40) ?? 'x'), 'no private key material');
      assert.equal((await fetch(`${api.baseUrl}/v1/integrity/keys`)).status, 401, 'authenticated like every request');

      const page = await api.gql<{ events: { edges: { node: { id: string; chain: { seq: number; hash: string } | null } }[] } }>(
        `{ events(filter: { from: "${since}", categories: ["authentication"] }, first: 5, order: OLDEST_FIRST) { edges { node { id chain { seq hash } } } } }`,
        {},
        key,
      );
      const first = page.data?.events.edges[0]?.node;
      assert.equal(first?.chain?.seq, 1, JSON.stringify(page));
      assert.equal(first?.chain?.hash, expectedChains(published).get('authentication')?.[0]);
      const cps = await api.gql<{ checkpoints: { category: string; seq: number; signature: string | null }[] }>(
        '{ checkpoints { tenantId category seq hash kind at keyId signature } }',
        {},
        key,
      );
      assert.ok((cps.data?.checkpoints.length ?? 0) >= 4, JSON.stringify(cps));

      const exportRes = await fetch(`${api.baseUrl}/v1/events/export?format=ndjson&from=${encodeURIComponent(since)}`, { headers: auth });
      assert.equal(exportRes.status, 200);
      const text = await exportRes.text();
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-verify-'));
      const files = { export: path.join(dir, 'export.ndjson'), checkpoints: path.join(dir, 'cp.json'), keys: path.join(dir, 'keys.json') };
      writeFileSync(files.export, text);
      writeFileSync(files.checkpoints, JSON.stringify(cps));
      writeFileSync(files.keys, JSON.stringify(keys));
      const args = ['--file', files.export, '--checkpoints', files.checkpoints, '--public-keys', files.keys];
      // Offline: nothing but the files (no database, no Kafka).
      const offline = await vigil(store, ['verify', ...args, '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      assert.equal(offline.code, 0, offline.stderr + offline.stdout);
      const report = JSON.parse(offline.stdout) as { checked: number; chains: { anchor: string; checkpointsMatched: number }[] };
      assert.ok(report.checked >= 400, `every event checked (${report.checked})`);
      assert.ok(report.chains.every((c) => c.anchor === 'genesis'));
      assert.ok(report.chains.reduce((n, c) => n + c.checkpointsMatched, 0) >= 4, 'the checkpoints were found on the chains');

      // One byte: a digit of one event's description.
      const at = text.indexOf('"description":"event 17"');
      writeFileSync(files.export, `${text.slice(0, at)}"description":"event 18"${text.slice(at + '"description":"event 17"'.length)}`);
      const edited = await vigil(store, ['verify', ...args]);
      assert.equal(edited.code, 3, edited.stdout);
      assert.match(edited.stdout, /altered/);
      assert.match(edited.stdout, /BROKEN/);
    } finally {
      await api.stop();
    }
  });

  it('when a day is dropped with its partition, the walk starts at the anchor it left; a deletion after it is still found', async () => {
    const old = uniqueName('tenant');
    const threeDaysAgo = Date.now() - 3 * 86_400_000;
    const events = await publisher.publishMany([
      ...inputs(old, 120).map((input, i) => ({ ...input, time: new Date(threeDaysAgo + i) })),
      ...inputs(old, 80).map((input) => ({ ...input, description: `new ${input.description ?? ''}` })),
    ]);
    await waitFor(
      () => count(old),
      (n) => n === events.length,
      `${events.length} rows`,
    );
    // A checkpoint taken while only the old day was stored: below the anchor the drop leaves, so it goes with the day.
    await store.pool.query(
      `INSERT INTO ${store.schema}.audit_chain_checkpoint (tenant_id, category, seq, hash, kind, at, key_id, signature)
       SELECT tenant_id, category, chain_seq, chain_hash, 'signed', now(), 'k2', 'c2ln' FROM ${store.schema}.audit_event
        WHERE tenant_id = $1 AND category = 'authentication' AND chain_seq = 5`,
      [old],
    );
    // Retention of 2 days: the day of three days ago goes (its partition dropped, or its rows swept from the default one),
    // by a manager holding the signing key, as the materializer's does.
    const [signer] = parseSigningKeys(KEYS);
    const partitions = new PartitionManager(store.pool, new Clock(), { retentionDays: 2, partitionsAheadDays: 7, anchorSigner: signer });
    await partitions.maintain();
    assert.equal(await count(old), 80, 'the old day is gone');
    const left = await store.pool.query<{ kind: string; seq: string }>(
      `SELECT kind, seq FROM ${store.schema}.audit_chain_checkpoint WHERE tenant_id = $1 AND category = 'authentication'`,
      [old],
    );
    assert.deepEqual(left.rows, [{ kind: 'retention', seq: '60' }], 'only the anchor is kept of the dropped day');
    const run = await verify(store, ['--tenant', old, '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    // With the public keys, the anchors are checked too: theirs verify.
    const withKeys = await verify(store, ['--tenant', old, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.equal(withKeys.code, 0, withKeys.stderr + withKeys.stdout);
    // A range that starts at the first place left: the place before it went with its day, and its anchor holds the link.
    const ranged = await verify(store, [
      '--tenant',
      old,
      '--from',
      new Date(Date.now() - 86_400_000).toISOString(),
      '--to',
      new Date(Date.now() + 3_600_000).toISOString(),
      '--json',
    ]);
    assert.equal(ranged.code, 0, ranged.stderr + ranged.stdout);
    assert.equal(reportOf(ranged).checked, 80);
    // With the keys, that link is taken only from a signed anchor: an unsigned one could cover a cut at the range's start.
    await store.pool.query(
      `UPDATE ${store.schema}.audit_chain_checkpoint SET signature = NULL WHERE tenant_id = $1 AND kind = 'retention' AND category = 'authentication'`,
      [old],
    );
    const rangeArgs = [
      '--tenant',
      old,
      '--category',
      'authentication',
      '--from',
      new Date(Date.now() - 86_400_000).toISOString(),
      '--json',
    ];
    assert.equal((await verify(store, rangeArgs)).code, 0, 'without the keys the anchor is trusted');
    assert.equal((await verify(store, rangeArgs, { VIGIL_CHAIN_SIGNING_KEYS: KEYS })).code, 3);
    await store.pool.query(
      `UPDATE ${store.schema}.audit_chain_checkpoint c SET signature = s.signature FROM (SELECT signature FROM ${store.schema}.audit_chain_checkpoint
        WHERE tenant_id = $1 AND kind = 'retention' AND category = 'role-privilege') s
        WHERE c.tenant_id = $1 AND c.kind = 'retention' AND c.category = 'authentication'`,
      [old],
    );
    assert.equal(
      (await verify(store, rangeArgs, { VIGIL_CHAIN_SIGNING_KEYS: KEYS })).code,
      3,
      "another anchor's signature does not verify",
    );
    const report = reportOf(run);
    assert.equal(report.checked, 80);
    // 120 old events: half authentication, a quarter each role-privilege and account-management.
    assert.deepEqual(Object.fromEntries(report.chains.map((c) => [c.category, `${c.anchor.kind} ${c.anchor.seq}`])), {
      authentication: 'retention 60',
      'role-privilege': 'retention 30',
      'account-management': 'retention 30',
    });
    const first = await store.pool.query<{ id: string }>(
      `DELETE FROM ${store.schema}.audit_event WHERE tenant_id = $1 AND category = 'authentication' AND chain_seq = 62 RETURNING id::text`,
      [old],
    );
    assert.equal(first.rowCount, 1);
    const broken = await verify(store, ['--tenant', old, '--json']);
    assert.equal(broken.code, 3);
    assert.deepEqual(pick(reportOf(broken), 'authentication'), ['deleted', 62]);

    // Someone with the database but not the key writes an anchor at the head, so the walk would start there and pass
    // over everything, the deletion included; and copies the head's signed checkpoint in as an anchor.
    const head = await store.pool.query<{ seq: string }>(
      `SELECT seq FROM ${store.schema}.audit_chain_head WHERE tenant_id = $1 AND category = 'authentication'`,
      [old],
    );
    await store.pool.query(
      `INSERT INTO ${store.schema}.audit_chain_checkpoint (tenant_id, category, seq, hash, kind, at)
       SELECT tenant_id, category, seq, hash, 'retention', now() FROM ${store.schema}.audit_chain_head
        WHERE tenant_id = $1 AND category = 'authentication'`,
      [old],
    );
    const unkeyed = await verify(store, ['--tenant', old, '--json']);
    assert.equal(unkeyed.code, 0, 'without the keys an anchor is trusted (docs/integrity.md says so)');
    const forged = await verify(store, ['--tenant', old, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.equal(forged.code, 3, forged.stdout);
    assert.deepEqual(pick(reportOf(forged), 'authentication'), ['checkpoint', Number(head.rows[0]?.seq)]);
    assert.match(reportOf(forged).chains.find((c) => c.category === 'authentication')?.finding?.detail ?? '', /not signed/);
    const [key] = parseSigningKeys(KEYS);
    assert.ok(key !== undefined);
    const headPoint = await store.pool.query<{ seq: string; hash: string }>(
      `SELECT seq, encode(hash, 'hex') AS hash FROM ${store.schema}.audit_chain_head WHERE tenant_id = $1 AND category = 'authentication'`,
      [old],
    );
    const at = new Date().toISOString();
    const signedHead = signCheckpoint(
      { tenantId: old, category: 'authentication', seq: Number(headPoint.rows[0]?.seq), hash: headPoint.rows[0]?.hash ?? '', at },
      key,
    );
    await store.pool.query(
      `UPDATE ${store.schema}.audit_chain_checkpoint SET at = $2, key_id = $3, signature = $4
        WHERE tenant_id = $1 AND category = 'authentication' AND kind = 'retention' AND seq = $5`,
      [old, at, signedHead.keyId, signedHead.signature, signedHead.seq],
    );
    const copied = await verify(store, ['--tenant', old, '--json'], { VIGIL_CHAIN_SIGNING_KEYS: KEYS });
    assert.equal(copied.code, 3, copied.stdout);
    assert.match(reportOf(copied).chains.find((c) => c.category === 'authentication')?.finding?.detail ?? '', /does not verify/);
  });

  it('after kill -9 in the middle of materializing and a restart, the chain holds every event once and verifies', async () => {
    const second = uniqueName('tenant');
    const sending = publisher.publishMany(inputs(second, 3000));
    await waitFor(
      () => count(second),
      (n) => n > 200,
      'the materializer under way',
      60_000,
    );
    await app?.kill();
    const events = await sending;
    // Without keys: a restart with them would sign (and publish) checkpoints of the tenant while the test counts its rows.
    app = await startMaterializer(store.databaseUrl(), groupId, { MATERIALIZER_SESSION_TIMEOUT_MS: '6000' });
    await waitFor(
      () => count(second),
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
