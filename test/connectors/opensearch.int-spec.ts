import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ElasticsearchConnector, elasticsearchSpec, indexSafe } from '@vigil/sinks';
import { requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { ConnectorHarness, logger } from './connector-test.util';

// The Elasticsearch/OpenSearch sink against the test stack's real OpenSearch 2.19 node (`npm test` starts it;
// alone: `npm run stack:up -- test --with opensearch`). Each test writes under its own index prefix or dataset.
const harness = new ConnectorHarness();
const node = testEnv.opensearchUrl;

async function os<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${node}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Documents searchable under an index pattern (refreshed first, so a count is exact). */
async function count(pattern: string): Promise<number> {
  await os('POST', `/${pattern}/_refresh?ignore_unavailable=true&allow_no_indices=true`);
  const answer = await os<{ count?: number }>('GET', `/${pattern}/_count?ignore_unavailable=true&allow_no_indices=true`);
  return answer.body.count ?? 0;
}

function connector(settings: Record<string, unknown>) {
  return harness.definition(elasticsearchSpec, { url: node, allowInsecureHttp: true, ...settings }, {});
}

type FieldMapping = { type?: string; properties?: Record<string, FieldMapping> };

/** The mapping of a dotted field in an index's mappings. */
function typeOf(mappings: FieldMapping, field: string): string | undefined {
  let current: FieldMapping | undefined = mappings;
  for (const part of field.split('.')) current = current?.properties?.[part];
  return current?.type;
}

describe('ElasticsearchConnector against a real OpenSearch node', () => {
  before(async () => {
    await requireStack(['kafka', 'registry', 'opensearch']);
    await harness.open();
  });
  after(() => harness.close());

  it('installs the ECS template, lands documents with its mappings, and a replay of the range creates no duplicate', async () => {
    const prefix = `vigil-it-${randomUUID().slice(0, 8)}`;
    const from = await harness.endOffsets();
    const first = connector({ prefix });
    const sink = new ElasticsearchConnector(first, logger);
    await harness.start(first, sink, from);
    const tenant = uniqueName('Tenant');
    const events = await harness.publish(tenant, 200, undefined, (i) => ({ attempt: i, plan: 'gold' }));
    await waitFor(
      () => count(`${prefix}-*`),
      (n) => n === events.length,
      'every document in OpenSearch',
      60_000,
    );

    const setup = await sink.prepared(AbortSignal.timeout(10_000));
    assert.equal(setup.flavor, 'opensearch');
    assert.match(setup.version, /^2\.19\./);
    assert.ok(setup.installed.includes(`index template ${prefix}`));
    // The node from Maven Central carries OpenSearch's modules, not the ISM plugin: said, not hidden.
    assert.match(setup.warnings.join(' '), /no Index State Management plugin/);

    const template = await os<{ index_templates: { name: string; index_template: { index_patterns: string[] } }[] }>(
      'GET',
      `/_index_template/${prefix}`,
    );
    assert.deepEqual(template.body.index_templates[0]?.index_template.index_patterns, [`${prefix}-*`]);

    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
    const index = `${prefix}-${indexSafe(tenant)}-${day}`;
    const mapping = await os<Record<string, { mappings: FieldMapping }>>('GET', `/${index}/_mapping`);
    const mappings = mapping.body[index]?.mappings ?? {};
    assert.deepEqual(
      [
        '@timestamp',
        'event.action',
        'event.severity',
        'source.ip',
        'related.ip',
        'message',
        'organization.id',
        'vigil.attributes.attempt',
        'vigil.attributes.plan',
      ].map((f) => typeOf(mappings, f)),
      ['date', 'keyword', 'long', 'ip', 'ip', 'text', 'keyword', 'long', 'keyword'],
    );
    const doc = await os<{ _source: { event: { id: string; action: string; outcome: string }; organization: { id: string } } }>(
      'GET',
      `/${index}/_doc/${events[0]?.id ?? ''}`,
    );
    assert.deepEqual(
      [doc.body._source.event.id, doc.body._source.event.action, doc.body._source.event.outcome, doc.body._source.organization.id],
      [events[0]?.id, 'user.login.failed', 'failure', tenant],
    );

    // A replay: a second connector reads the same range again; every create answers 409 and counts as delivered.
    const replay = connector({ prefix });
    await harness.start(replay, new ElasticsearchConnector(replay, logger), from);
    await waitFor(
      () => harness.status.get(replay.name)?.eventsSent ?? 0,
      (n) => n >= events.length,
      'the replay to count every event delivered',
      60_000,
    );
    assert.equal(await count(`${prefix}-*`), events.length, 'no duplicate document');
  });

  it('writes a data stream per tenant, and dead-letters a document whose field contradicts the mapping while the rest lands', async () => {
    const dataset = `vigil.it${randomUUID().slice(0, 8)}`;
    const from = await harness.endOffsets();
    const dlqFrom = await harness.dlqEndOffsets();
    const c = connector({ indexMode: 'data-stream', dataset });
    await harness.start(c, new ElasticsearchConnector(c, logger), from);
    const tenant = uniqueName('tenant');
    const stream = `logs-${dataset}-${indexSafe(tenant)}`;
    // `plan` is first seen as a number, so the stream maps it as long ...
    const numbered = await harness.publish(tenant, 5, undefined, (i) => ({ plan: i }));
    await waitFor(
      () => count(stream),
      (n) => n === numbered.length,
      'the first documents',
      60_000,
    );
    // ... and a later event that sends it as text cannot be indexed: OpenSearch refuses that one item.
    const later = await harness.publish(tenant, 20, undefined, (i) => ({ plan: i === 7 ? 'gold' : i }));
    const poison = later[7];
    await waitFor(
      () => count(stream),
      (n) => n === numbered.length + later.length - 1,
      'every other document',
      60_000,
    );
    const [letter] = await harness.deadLettersOf(c, dlqFrom, 1);
    assert.equal(letter?.message.headers?.['vigil-dlq-event-id']?.toString(), poison?.id);
    assert.match(letter?.message.headers?.['vigil-dlq-detail']?.toString() ?? '', /item 400: mapper_parsing_exception/);
    const found = await os<{ hits: { total: { value: number } } }>('GET', `/${stream}/_search?q=event.id:${poison?.id ?? ''}`);
    assert.equal(found.body.hits.total.value, 0, 'the refused event is not in the stream');
    const streams = await os<{ data_streams: { name: string; template: string }[] }>('GET', `/_data_stream/${stream}`);
    assert.deepEqual(
      streams.body.data_streams.map((s) => [s.name, s.template]),
      [[stream, `logs-${dataset}`]],
    );
    assert.equal(harness.status.get(c.name)?.deadLettered, 1);
  });
});
