import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ElasticsearchConnector, elasticsearchSpec } from '@vigil/sinks';
import { requireStack, uniqueName, waitFor } from '@vigil/testing';
import { ElasticsearchDouble } from '../doubles/elasticsearch.double';
import { ConnectorHarness, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: ElasticsearchDouble[] = [];

async function aCluster(): Promise<ElasticsearchDouble> {
  const es = await ElasticsearchDouble.start();
  doubles.push(es);
  return es;
}

function esConnector(es: ElasticsearchDouble, settings: Record<string, unknown> = {}) {
  return harness.definition(
    elasticsearchSpec,
    { url: es.url, allowInsecureHttp: true, apiKeyEnv: 'ES_KEY', ...settings },
    { ES_KEY: es.apiKey },
  );
}

const idsIn = (es: ElasticsearchDouble, ids: readonly string[]): number => {
  const stored = new Set(es.stored().map((d) => d.id));
  return ids.filter((id) => stored.has(id)).length;
};

describe(ElasticsearchConnector.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('creates ECS documents with _id = event id in the tenant’s daily index; a replay of the range duplicates nothing', async () => {
    const es = await aCluster();
    const from = await harness.endOffsets();
    const first = esConnector(es);
    await harness.start(first, new ElasticsearchConnector(first, logger), from);
    const tenant = uniqueName('Tenant');
    const events = await harness.publish(tenant, 50);
    const ids = events.map((e) => e.id);
    await waitFor(
      () => idsIn(es, ids),
      (n) => n === ids.length,
      'every document',
      30_000,
    );
    const doc = es.stored().find((d) => d.id === ids[0]);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
    assert.equal(doc?.index, `vigil-audit-${tenant.toLowerCase()}-${day}`);
    assert.equal((doc?.source['event'] as { id: string }).id, ids[0]);
    assert.ok(typeof doc?.source['@timestamp'] === 'string');
    // Before its first bulk request the sink installed the ILM policy and the template that names it (Elasticsearch).
    const template = es.installed.get('/_index_template/vigil-audit') as { template?: { settings?: Record<string, unknown> } };
    assert.equal(template?.template?.settings?.['index.lifecycle.name'], 'vigil-audit-30d');
    assert.deepEqual(Object.keys(es.installed.get('/_ilm/policy/vigil-audit-30d') ?? {}), ['policy']);
    // A second connector reads the same range again (a replay): every create answers 409, counted as delivered.
    const replay = esConnector(es);
    await harness.start(replay, new ElasticsearchConnector(replay, logger), from);
    await waitFor(
      () => harness.status.get(replay.name)?.eventsSent ?? 0,
      (n) => n >= ids.length,
      'the replay to count every event delivered',
      30_000,
    );
    assert.equal(es.stored().filter((d) => ids.includes(d.id)).length, ids.length, 'no duplicate document');
  });

  it('dead-letters a document the mapping refuses while the rest of the bulk lands, and retries item-level 429s', async () => {
    const es = await aCluster();
    const from = await harness.endOffsets();
    const dlqFrom = await harness.dlqEndOffsets();
    const c = esConnector(es, { indexMode: 'data-stream' });
    await harness.start(c, new ElasticsearchConnector(c, logger), from);
    es.rejectItems(5);
    const tenant = uniqueName('tenant');
    const events = await harness.publish(tenant, 30, (i) => (i === 7 ? 'mapping-conflict' : `event ${i}`));
    const poison = events[7];
    const rest = events.filter((e) => e !== poison).map((e) => e.id);
    await waitFor(
      () => idsIn(es, rest),
      (n) => n === rest.length,
      'the rest of the bulk',
      30_000,
    );
    assert.equal(idsIn(es, [poison?.id ?? '']), 0);
    assert.equal(es.stored().find((d) => d.id === rest[0])?.index, `logs-vigil.audit-${tenant}`);
    const [letter] = await harness.deadLettersOf(c, dlqFrom, 1);
    assert.equal(letter?.message.headers?.['vigil-dlq-event-id']?.toString(), poison?.id);
    assert.match(letter?.message.headers?.['vigil-dlq-detail']?.toString() ?? '', /item 400: mapper_parsing_exception/);
    // The first bulk carried all 30; the five items answered 429 were sent again alone (not the 24 that landed).
    assert.deepEqual(es.bulkSizes.slice(0, 2), [30, 5]);
    assert.equal(harness.status.get(c.name)?.eventsSent, 29);
  });

  it('goes failing on 401 with the cluster’s reason, and stores nothing', async () => {
    const es = await aCluster();
    const from = await harness.endOffsets();
    const c = harness.definition(elasticsearchSpec, { url: es.url, allowInsecureHttp: true, apiKeyEnv: 'ES_KEY' }, { ES_KEY: 'wrong' });
    await harness.start(c, new ElasticsearchConnector(c, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 10);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'failing',
      'the connector to be failing',
    );
    assert.match(harness.status.get(c.name)?.reason ?? '', /HTTP 401: .*unable to authenticate/);
    assert.equal(
      idsIn(
        es,
        events.map((e) => e.id),
      ),
      0,
    );
  });
});
