import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { errorChain } from '@vigil/common';
import { createRawKafka, createRawProducer, type RawKafka } from '@vigil/kafka';
import {
  AppProcess,
  principalEnv,
  principalKafka,
  requireStack,
  SchemaStore,
  testEnv,
  uniqueName,
  waitFor,
  type ClusterPrincipal,
} from '@vigil/testing';
import { SplunkHecDouble } from '../doubles/splunk-hec.double';
import { runCli } from '../replay/replay-test.util';

/*
 * Against the secured three-broker stack (`npm run test:cluster`: SASL_SSL, SCRAM users, ACLs; scripts/lib/kafka-cluster.mts).
 * Every app runs as its own principal with only the ACLs docs/operations.md lists, so these tests also prove those
 * rights are enough.
 */
const logger = pino({ level: testEnv.logLevel });
const CATEGORY_TOPIC = 'audit.authentication';

function kafkaAs(principal: ClusterPrincipal): RawKafka {
  return createRawKafka({ ...principalKafka(principal), overrides: { retry: { retries: 1 } } }, logger);
}

function publisherAs(principal: ClusterPrincipal): AuditPublisher {
  return new AuditPublisher({
    kafka: { ...principalKafka(principal, `${principal}-it`) },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'secure-cluster-spec' },
    retry: { retries: 1 },
  });
}

/** Whether Kafka refused the request for want of an ACL (kafkajs may wrap the protocol error once). */
function refusedByAcl(err: unknown): boolean {
  if ([...errorChain(err)].some((e) => e.type === 'TOPIC_AUTHORIZATION_FAILED')) return true;
  assert.fail(`expected TOPIC_AUTHORIZATION_FAILED, got ${String(err)}`);
}

/** The app env of a principal, nothing inherited from the shell that ran the tests. */
function appEnv(principal: ClusterPrincipal, extra: Record<string, string> = {}): Record<string, string> {
  return { ...principalEnv(principal), SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl, LOG_LEVEL: 'warn', ...extra };
}

describe('secured three-broker cluster', () => {
  const stores: SchemaStore[] = [];
  const apps: AppProcess[] = [];

  before(async () => {
    await requireStack(['kafka', 'registry', 'postgres']);
  });
  after(async () => {
    for (const app of apps) await app.kill();
    for (const store of stores) await store.drop();
  });

  it('keeps every topic on three replicas, two in sync for a write, with unclean leader election off', async () => {
    const admin = kafkaAs('vigil-admin').admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [CATEGORY_TOPIC, 'audit.dlq', 'vigil.connector-control'] });
      for (const topic of topics) for (const p of topic.partitions) assert.equal(p.replicas.length, 3, `${topic.name}/${p.partitionId}`);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: CATEGORY_TOPIC, configNames: ['min.insync.replicas', 'unclean.leader.election.enable'] }],
      });
      const entries = Object.fromEntries((described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
      assert.deepEqual(entries, { 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' });
    } finally {
      await admin.disconnect();
    }
  });

  it('an app with the wrong password exits and names the variables to fix; so does the CLI', async () => {
    const store = await new SchemaStore('secure').create();
    stores.push(store);
    const app = new AppProcess(
      'materializer',
      appEnv('vigil-materializer', {
        KAFKA_SASL_PASSWORD: 'not-the-password',
        DATABASE_URL: store.databaseUrl(),
        MATERIALIZER_GROUP_ID: uniqueName('vigil-materializer-wrong'),
      }),
    );
    await assert.rejects(app.start(60_000), (err: Error) => {
      assert.match(err.message, /materializer exited \(1\)/);
      assert.match(err.message, /Kafka rejected this app's SASL credentials: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/);
      assert.ok(!err.message.includes('not-the-password'), 'the password is never logged');
      return true;
    });
    const cli = await runCli(['topics', 'list'], {
      ...appEnv('vigil-operator'),
      KAFKA_SASL_PASSWORD: 'not-the-password',
      DATABASE_URL: testEnv.databaseUrl,
    });
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /Kafka rejected this app's SASL credentials/);
    assert.ok(!cli.stderr.includes('not-the-password'));
  });

  it("a connector's principal cannot write to the audit topics, and only the operator writes the control topic", async () => {
    const connector = createRawProducer(kafkaAs('vigil-connector'));
    await connector.connect();
    try {
      await assert.rejects(
        connector.send({ topic: CATEGORY_TOPIC, acks: -1, messages: [{ key: 'forged', value: 'forged' }] }),
        (err: Error) => refusedByAcl(err),
      );
    } finally {
      await connector.disconnect();
    }
    // Through the SDK, the same refusal is a rejected publish that says why.
    const forged = publisherAs('vigil-connector');
    await assert.rejects(
      forged.publish({ action: 'user.login.succeeded', tenantId: 'forged-tenant', actor: { id: 'mallory' } }),
      /TOPIC_AUTHORIZATION_FAILED|not authorized/i,
    );
    await forged.close();

    const producer = createRawProducer(kafkaAs('vigil-producer'));
    await producer.connect();
    try {
      await assert.rejects(
        producer.send({ topic: 'vigil.connector-control', acks: -1, messages: [{ key: 'x', value: '{"pause":true}' }] }),
        (err: Error) => refusedByAcl(err),
      );
    } finally {
      await producer.disconnect();
    }
    const reader = createRawProducer(kafkaAs('vigil-connector'));
    await reader.connect();
    try {
      await assert.rejects(
        reader.send({ topic: 'vigil.connector-control', acks: -1, messages: [{ key: 'x', value: '{"pause":true}' }] }),
        (err: Error) => refusedByAcl(err),
      );
    } finally {
      await reader.disconnect();
    }
    const operator = createRawProducer(kafkaAs('vigil-operator'), { idempotent: true, maxInFlightRequests: 1 });
    await operator.connect();
    try {
      // A tombstone for a connector no app runs: the operator's right, without pausing anything real.
      const [meta] = await operator.send({
        topic: 'vigil.connector-control',
        acks: -1,
        messages: [{ key: uniqueName('probe'), value: null }],
      });
      assert.equal(meta?.errorCode, 0);
    } finally {
      await operator.disconnect();
    }
    // The CLI's commands that write events (publish, checkpoint, dlq redrive) run as the operator.
    const published = await runCli(['publish', '--example', 'user.login.failed', '--tenant', uniqueName('operator-tenant')], {
      ...appEnv('vigil-operator'),
      DATABASE_URL: testEnv.databaseUrl,
    });
    assert.equal(published.code, 0, published.stderr);
  });

  it('runs the apps as their own principals: the SDK publishes, the materializer stores, the query API tails and a connector delivers every event', async () => {
    const store = await new SchemaStore('secure').create();
    stores.push(store);
    const tenantId = uniqueName('secure-tenant');
    const hec = await SplunkHecDouble.start({ token: 'cluster-token' });
    const name = uniqueName('cluster-splunk');
    const configPath = join(mkdtempSync(join(tmpdir(), 'vigil-cluster-')), 'vigil.config.yaml');
    writeFileSync(
      configPath,
      `connectors:
  - name: ${name}
    type: splunk
    tenants: [${tenantId}]
    categories: [authentication]
    startFrom: latest
    batch: { maxEvents: 200, lingerMs: 20 }
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }
    splunk: { url: '${hec.url}', allowInsecureHttp: true, tokenEnv: CLUSTER_HEC_TOKEN }
`,
    );
    try {
      const materializer = await new AppProcess(
        'materializer',
        appEnv('vigil-materializer', { DATABASE_URL: store.databaseUrl(), MATERIALIZER_GROUP_ID: uniqueName('vigil-materializer-it') }),
      ).start(90_000);
      apps.push(materializer);
      // The query API tails the audit topics live (its own consumer group) as vigil-query-api: ready means it joined.
      const api = await new AppProcess('query-api', appEnv('vigil-query-api', { DATABASE_URL: store.databaseUrl() })).start(90_000);
      apps.push(api);
      const connector = await new AppProcess(
        'connector-splunk',
        appEnv('vigil-connector', { VIGIL_CONFIG: configPath, CLUSTER_HEC_TOKEN: 'cluster-token' }),
      ).start(90_000);
      apps.push(connector);

      const publisher = publisherAs('vigil-producer');
      const events = await publisher.publishMany(
        Array.from({ length: 2000 }, (_, i) => ({ action: 'user.login.succeeded', tenantId, actor: { id: `user-${i % 40}` } })),
      );
      await publisher.close();
      const count = async (): Promise<number> => {
        const res = await store.pool.query<{ n: string }>('SELECT count(DISTINCT id) AS n FROM audit_event WHERE tenant_id = $1', [
          tenantId,
        ]);
        return Number(res.rows[0]?.n ?? 0);
      };
      await waitFor(count, (n) => n === events.length, 'every event stored by the materializer principal', 90_000);
      const wanted = new Set(events.map((e) => e.id));
      await waitFor(
        () => new Set(hec.eventIds().filter((id) => wanted.has(id))).size,
        (n) => n === events.length,
        'every event delivered by the connector principal',
        90_000,
      );
    } finally {
      await hec.close();
    }
  });
});
