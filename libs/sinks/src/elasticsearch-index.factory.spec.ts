import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EcsMapper } from '@vigil/formats';
import { anAuditEvent } from '@vigil/testing';
import {
  ecsMappings,
  ilmPolicy,
  indexTemplate,
  ismPolicy,
  policyName,
  shippedDocuments,
  templateName,
  type IndexLayout,
} from './elasticsearch-index.factory';

const daily: IndexLayout = { indexMode: 'daily', prefix: 'vigil-audit', dataset: 'vigil.audit' };
const stream: IndexLayout = { indexMode: 'data-stream', prefix: 'vigil-audit', dataset: 'vigil.audit' };

interface Mapping {
  type?: string;
  dynamic?: boolean;
  properties?: Record<string, Mapping>;
}

/** Dotted paths of every leaf value in a document (array elements are the field itself, as in Elasticsearch). */
function leaves(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [] : leaves(value[0], prefix);
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, prefix === '' ? key : `${prefix}.${key}`));
}

/** The mapping that decides a dotted field: its own, or a dynamic object above it. */
function mappingOf(root: Mapping, field: string): Mapping | undefined {
  let current: Mapping | undefined = root;
  for (const part of field.split('.')) {
    if (current?.dynamic === true && current.properties?.[part] === undefined && current !== root) return current;
    current = current?.properties?.[part];
  }
  return current;
}

describe('Elasticsearch/OpenSearch index template and lifecycle policies', () => {
  it('maps every field the ECS mapper writes explicitly, except the products’ own payload and attributes', () => {
    const event = anAuditEvent({ attributes: { plan: 'gold' } });
    const document = new EcsMapper().toRecord(event);
    const mappings = ecsMappings() as Mapping;
    // A leaf without a type of its own is unmapped, or left to a dynamic object above it.
    const unmapped = leaves(document).filter((field) => {
      const mapping = mappingOf(mappings, field);
      return mapping?.type === undefined || mapping.dynamic === true;
    });
    const dynamic = unmapped.filter((f) => f.startsWith('vigil.payload.') || f.startsWith('vigil.attributes.'));
    assert.deepEqual(
      unmapped.filter((f) => !dynamic.includes(f)),
      [],
    );
    assert.ok(dynamic.length > 0);
    assert.deepEqual(
      ['@timestamp', 'source.ip', 'related.ip', 'event.severity', 'http.response.status_code', 'event.created'].map(
        (f) => mappingOf(mappings, f)?.type,
      ),
      ['date', 'ip', 'ip', 'long', 'long', 'date'],
    );
  });

  it('names the ILM policy in the Elasticsearch template only; the ISM policy attaches itself to the same patterns', () => {
    const es = indexTemplate(daily, 'elasticsearch') as { template: { settings: Record<string, unknown> }; index_patterns: string[] };
    const os = indexTemplate(daily, 'opensearch') as { template: { settings: Record<string, unknown> } };
    assert.equal(es.template.settings['index.lifecycle.name'], 'vigil-audit-30d');
    assert.equal(os.template.settings['index.lifecycle.name'], undefined);
    assert.deepEqual(es.index_patterns, ['vigil-audit-*']);
    const ism = ismPolicy(daily) as { policy: { ism_template: { index_patterns: string[] }[] } };
    assert.deepEqual(ism.policy.ism_template[0]?.index_patterns, es.index_patterns);
  });

  it('rolls a data stream over daily and deletes after 30 days; a dated index is deleted 30 days after creation', () => {
    assert.equal(templateName(stream), 'logs-vigil.audit');
    assert.equal(policyName(stream), 'logs-vigil.audit-30d');
    assert.deepEqual((indexTemplate(stream, 'elasticsearch') as { data_stream?: object }).data_stream, {});
    assert.equal((indexTemplate(daily, 'elasticsearch') as { data_stream?: object }).data_stream, undefined);
    const ilm = (p: IndexLayout) =>
      (ilmPolicy(p) as { policy: { phases: Record<string, { min_age?: string; actions: object }> } }).policy.phases;
    assert.deepEqual(ilm(stream)['hot']?.actions, { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } });
    assert.deepEqual(ilm(daily)['hot']?.actions, {});
    assert.equal(ilm(daily)['delete']?.min_age, '30d');
  });

  it('ships the default layouts’ files for both clusters', () => {
    assert.deepEqual(Object.keys(shippedDocuments()).sort(), [
      'deploy/elasticsearch/daily/ilm-policy.json',
      'deploy/elasticsearch/daily/index-template.elasticsearch.json',
      'deploy/elasticsearch/daily/index-template.opensearch.json',
      'deploy/elasticsearch/daily/ism-policy.json',
      'deploy/elasticsearch/data-stream/ilm-policy.json',
      'deploy/elasticsearch/data-stream/index-template.elasticsearch.json',
      'deploy/elasticsearch/data-stream/index-template.opensearch.json',
      'deploy/elasticsearch/data-stream/ism-policy.json',
    ]);
  });
});
