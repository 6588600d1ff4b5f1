import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher, type AuditEventInput } from '@vigil/audit-sdk';
import { createRawKafka, createRawProducer, DEAD_LETTER_TOPIC, DLQ_HEADERS } from '@vigil/kafka';
import {
  AppProcess,
  collectFrom,
  endOffsets,
  requireStack,
  startGroupAtEnd,
  TcpProxy,
  testEnv,
  uniqueName,
  waitFor,
  testBrokerPid,
} from '@vigil/testing';
import { allTopics } from '@vigil/events';
import { startMaterializer, TestStore } from './materializer-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'materializer-e2e' }, logger);
const admin = kafka.admin();
let publisher: AuditPublisher;

const ACTIONS = ['user.login.failed', 'user.login.succeeded', 'role.created', 'user.created'] as const;

function events(tenantId: string, count: number, prefix = 'u'): AuditEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    action: ACTIONS[i % ACTIONS.length] ?? 'user.login.failed',
    tenantId,
    actor: { id: `${prefix}-${i}` },
    client: { ip: `198.51.100.${i % 250}` },
  }));
}

function materializer(store: TestStore, groupId: string, databaseUrl = store.databaseUrl()): Promise<AppProcess> {
  // A killed instance's partitions move after 6 s instead of 30 s.
  return startMaterializer(databaseUrl, groupId, { MATERIALIZER_SESSION_TIMEOUT_MS: '6000' });
}

describe('materializer (real Kafka, registry and PostgreSQL; the app as a process)', () => {
  before(async () => {
    await requireStack();
    await admin.connect();
    publisher = new AuditPublisher({
      kafka: { client: kafka },
      schemaRegistry: { url: testEnv.schemaRegistryUrl },
      service: { name: 'materializer-e2e' },
      logger,
    });
  });
  after(async () => {
    await publisher.close();
    await admin.disconnect();
  });

  it('stores every published event once, with every field, and dead-letters a poison message without blocking its partition', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await materializer(store, groupId);
    const tenant = uniqueName('tenant');
    try {
      const dlqFrom = await endOffsets(admin, [DEAD_LETTER_TOPIC]);
      const first = await publisher.publishMany(events(tenant, 200));
      // A message that is not Confluent-framed Avro, on the tenant's partition, between good events.
      const producer = createRawProducer(kafka);
      await producer.connect();
      await producer.send({ topic: 'audit.authentication', acks: -1, messages: [{ key: tenant, value: Buffer.from('{"not":"avro"}') }] });
      await producer.disconnect();
      const second = await publisher.publishMany(events(tenant, 200, 'v'));
      const published = [...first, ...second];

      await waitFor(
        () => store.count(tenant),
        (n) => n === published.length,
        `${published.length} rows for the tenant`,
      );
      assert.deepEqual(await store.ids(tenant), published.map((e) => e.id).sort());

      const sample = published[0];
      assert.ok(sample);
      const row = (await store.pool.query(`SELECT * FROM ${store.schema}.audit_event WHERE id = $1`, [sample.id])).rows[0] as Record<
        string,
        unknown
      >;
      assert.equal(row['tenant_id'], tenant);
      assert.equal(row['action'], sample.action);
      assert.equal(row['actor_id'], sample.actor.id);
      assert.equal(row['client_ip'], sample.client?.ip);
      assert.equal(row['kafka_topic'], `audit.${sample.category}`);

      const letters = await collectFrom(kafka, dlqFrom, (c) => c.length >= 1, {
        filter: (c) => c.message.key?.toString() === tenant,
      });
      const headers = letters[0]?.message.headers ?? {};
      assert.equal(headers[DLQ_HEADERS.reason]?.toString(), 'framing');
      assert.equal(headers[DLQ_HEADERS.originTopic]?.toString(), 'audit.authentication');
      assert.equal(headers[DLQ_HEADERS.consumer]?.toString(), groupId);
      assert.equal(letters[0]?.message.value?.toString(), '{"not":"avro"}');

      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      assert.match(metrics, /vigil_materializer_events_total\{result="dead_lettered",topic="audit.authentication"\} 1/);
    } finally {
      await app.stop();
      await store.drop();
    }
  });

  it('counts and skips an event older than the retention instead of storing it', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const app = await materializer(store, groupId);
    const tenant = uniqueName('tenant');
    try {
      await publisher.publish({
        action: 'user.login.failed',
        tenantId: tenant,
        actor: { id: 'old' },
        time: new Date(Date.now() - 40 * 86_400_000),
      });
      const fresh = await publisher.publish({ action: 'user.login.failed', tenantId: tenant, actor: { id: 'new' } });
      await waitFor(
        () => store.ids(tenant),
        (ids) => ids.length === 1,
        'the fresh event',
      );
      assert.deepEqual(await store.ids(tenant), [fresh.id]);
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      assert.match(metrics, /vigil_materializer_events_total\{result="expired",topic="audit.authentication"\} [1-9]/);
    } finally {
      await app.stop();
      await store.drop();
    }
  });

  it('after kill -9 in the middle of the work and a restart, the store holds exactly the published set', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const tenant = uniqueName('tenant');
    const published = await publisher.publishMany(events(tenant, 30_000));
    let app = await materializer(store, groupId);
    try {
      const seen = await waitFor(
        () => store.count(tenant),
        (n) => n > 0,
        'the first rows',
        60_000,
      );
      await app.kill();
      const atKill = await store.count(tenant);
      assert.ok(seen > 0 && atKill < published.length, `killed mid-work (${atKill} of ${published.length} stored)`);
      app = await materializer(store, groupId);
      await waitFor(
        () => store.count(tenant),
        (n) => n === published.length,
        'every event after the restart',
        120_000,
      );
      const ids = await store.ids(tenant);
      assert.equal(ids.length, new Set(ids).size, 'no duplicates');
      assert.deepEqual(ids, published.map((e) => e.id).sort());
      // The rollup counts were committed with the events and folded by the app every second, across the kill too.
      const rolled = await waitFor(
        () => store.rolledUp(tenant),
        (r) => r.pending === 0,
        'the app to fold the pending rollup counts',
        20_000,
      );
      assert.equal(rolled.folded, published.length, 'the rollups count each event once');
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      assert.match(metrics, /vigil_materializer_rollup_folds_total\{result="folded"\} [1-9]/);
      assert.match(metrics, /vigil_materializer_rollup_folded_rows_total [1-9]/);
    } finally {
      await app.stop();
      await store.drop();
    }
  });

  it('stops committing while PostgreSQL is unreachable, reports not ready, and catches up on its own', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const db = new URL(testEnv.databaseUrl);
    const proxy = await new TcpProxy(db.hostname, Number(db.port || 5432)).start();
    const viaProxy = new URL(testEnv.databaseUrl);
    viaProxy.port = String(proxy.port);
    const app = await materializer(store, groupId, store.databaseUrl(viaProxy.toString()));
    const tenant = uniqueName('tenant');
    try {
      const before = await publisher.publishMany(events(tenant, 500));
      await waitFor(
        () => store.count(tenant),
        (n) => n === before.length,
        'the rows before the outage',
      );
      proxy.cut();
      const during = await publisher.publishMany(events(tenant, 500, 'during'));
      await waitFor(
        async () => (await fetch(`${app.baseUrl}/health/ready`)).status,
        (s) => s === 503,
        'readiness to report PostgreSQL down',
      );
      assert.equal(await store.count(tenant), before.length, 'nothing can be stored while the database is down');
      proxy.restore();
      await waitFor(
        () => store.count(tenant),
        (n) => n === before.length + during.length,
        'the rows written during the outage',
        60_000,
      );
      assert.deepEqual(await store.ids(tenant), [...before, ...during].map((e) => e.id).sort());
    } finally {
      await app.stop();
      await proxy.stop();
      await store.drop();
    }
  });

  it(
    'keeps every event through a broker outage',
    { skip: testBrokerPid() === undefined && 'the test broker was not started by npm test (scripts/stack.mts)' },
    async () => {
      const pid = testBrokerPid() ?? 0;
      const store = await new TestStore().create();
      const groupId = uniqueName('vigil-materializer');
      await startGroupAtEnd(kafka, admin, groupId, allTopics());
      const app = await materializer(store, groupId);
      const tenant = uniqueName('tenant');
      try {
        const before = await publisher.publishMany(events(tenant, 300));
        await waitFor(
          () => store.count(tenant),
          (n) => n === before.length,
          'the rows before the outage',
        );
        process.kill(pid, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 5000)); // the outage itself: the broker answers nothing for 5 s
        process.kill(pid, 'SIGCONT');
        const after = await publisher.publishMany(events(tenant, 300, 'after'));
        await waitFor(
          () => store.count(tenant),
          (n) => n === before.length + after.length,
          'the rows after the outage',
          90_000,
        );
      } finally {
        process.kill(pid, 'SIGCONT');
        await app.stop();
        await store.drop();
      }
    },
  );

  it('shares the partitions between two instances and still stores each event once', async () => {
    const store = await new TestStore().create();
    const groupId = uniqueName('vigil-materializer');
    await startGroupAtEnd(kafka, admin, groupId, allTopics());
    const one = await materializer(store, groupId);
    const two = await materializer(store, groupId);
    const tenants = Array.from({ length: 12 }, () => uniqueName('tenant'));
    try {
      await waitFor(
        async () => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0,
        (n) => n === 2,
        'both instances in the group',
      );
      const published = (await Promise.all(tenants.map((t) => publisher.publishMany(events(t, 250))))).flat();
      for (const tenant of tenants) {
        await waitFor(
          () => store.count(tenant),
          (n) => n === 250,
          `the rows of ${tenant}`,
          60_000,
        );
      }
      const total = await store.pool.query<{ n: string; d: string }>(
        `SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${store.schema}.audit_event WHERE tenant_id = ANY($1)`,
        [tenants],
      );
      assert.equal(Number(total.rows[0]?.n), published.length);
      assert.equal(Number(total.rows[0]?.d), published.length);
    } finally {
      await one.stop();
      await two.stop();
      await store.drop();
    }
  });
});
