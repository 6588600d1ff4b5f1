// The index template (ECS mappings) and the 30-day lifecycle policy the Elasticsearch/OpenSearch sink installs, in
// both clusters' dialects: Elasticsearch's ILM (named by the template's `index.lifecycle.name`) and OpenSearch's ISM
// (attached to new indices by the policy's own `ism_template`, so the template stays the same on both). The defaults
// are also shipped as files a customer can deploy by hand: deploy/elasticsearch/ (`npm run codegen` writes them).

export type ClusterFlavor = 'elasticsearch' | 'opensearch';

/** What decides index names: the sink's `indexMode`, `prefix` and `dataset` settings. */
export interface IndexLayout {
  indexMode: 'daily' | 'data-stream';
  prefix: string;
  dataset: string;
}

/** How long an index (a day, or a data stream's backing index after rollover) is kept: the store's TTL. */
export const RETENTION_DAYS = 30;

/** Above Elasticsearch's built-in `logs` template (priority 100, `logs-*-*`), so our mappings win for our streams. */
const TEMPLATE_PRIORITY = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The template's and the policy's name: `vigil-audit` (daily) or `logs-vigil.audit` (data stream). */
export function templateName(layout: IndexLayout): string {
  return layout.indexMode === 'data-stream' ? `logs-${layout.dataset}` : layout.prefix;
}

export function policyName(layout: IndexLayout): string {
  return `${templateName(layout)}-${RETENTION_DAYS}d`;
}

/** The indices the sink writes: `<prefix>-<tenant>-<yyyy.MM.dd>` or the data streams `logs-<dataset>-<tenant>`. */
export function indexPatterns(layout: IndexLayout): string[] {
  return [`${templateName(layout)}-*`];
}

const keyword: Json = { type: 'keyword', ignore_above: 1024 };
/** A keyword that is also searchable word by word (names, user agents). */
const keywordWithText: Json = { type: 'keyword', ignore_above: 1024, fields: { text: { type: 'text' } } };
const date: Json = { type: 'date' };
const long: Json = { type: 'long' };
const object = (properties: { [key: string]: Json }): Json => ({ properties });

/**
 * ECS 8.11 mappings of every field the ECS mapper writes (libs/formats/src/ecs.mapper.ts). Types both clusters know:
 * `text` rather than Elasticsearch's `match_only_text`, `keyword` rather than `wildcard` (OpenSearch 2 has neither).
 * `vigil.payload` and `vigil.attributes` stay dynamic, so a product's own fields are searchable by type; a value that
 * contradicts an earlier one's type is a mapping conflict the sink dead-letters (docs/elasticsearch.md).
 */
export function ecsMappings(): { [key: string]: Json } {
  return {
    dynamic: true,
    date_detection: false,
    dynamic_templates: [{ strings_as_keywords: { match_mapping_type: 'string', mapping: keyword } }],
    properties: {
      '@timestamp': date,
      message: { type: 'text' },
      ecs: object({ version: keyword }),
      event: object({
        id: keyword,
        kind: keyword,
        category: keyword,
        type: keyword,
        action: keyword,
        outcome: keyword,
        severity: long,
        created: date,
        dataset: keyword,
        provider: keyword,
      }),
      user: object({
        id: keyword,
        name: keywordWithText,
        roles: keyword,
        target: object({ id: keyword, name: keyword }),
      }),
      source: object({ ip: { type: 'ip' }, address: keyword }),
      user_agent: object({ original: keywordWithText }),
      http: object({ request: object({ method: keyword }), response: object({ status_code: long }) }),
      url: object({ full: keyword, original: keyword, domain: keyword, path: keyword, query: keyword }),
      service: object({ name: keyword, version: keyword }),
      host: object({ hostname: keyword, name: keyword }),
      organization: object({ id: keyword }),
      trace: object({ id: keyword }),
      span: object({ id: keyword }),
      related: object({ user: keyword, ip: { type: 'ip' } }),
      vigil: object({
        category: keyword,
        severity: keyword,
        actor: object({ type: keyword }),
        targets: object({ type: keyword, id: keyword, name: keyword }),
        correlation_id: keyword,
        http: object({ operation: keyword }),
        payload: { type: 'object', dynamic: true },
        attributes: { type: 'object', dynamic: true },
      }),
    },
  };
}

/**
 * The composable index template (`PUT _index_template/<name>`). One shard, replicas from 0 to 1 (a single node stays
 * green, a cluster keeps a copy). On Elasticsearch it names the ILM policy; OpenSearch's ISM policy attaches itself.
 */
export function indexTemplate(layout: IndexLayout, flavor: ClusterFlavor): { [key: string]: Json } {
  const settings: { [key: string]: Json } = { 'index.number_of_shards': 1, 'index.auto_expand_replicas': '0-1' };
  if (flavor === 'elasticsearch') settings['index.lifecycle.name'] = policyName(layout);
  return {
    index_patterns: indexPatterns(layout),
    priority: TEMPLATE_PRIORITY,
    ...(layout.indexMode === 'data-stream' && { data_stream: {} }),
    template: { settings, mappings: ecsMappings() },
    _meta: {
      description: `Vigil audit events in ECS (${layout.indexMode === 'data-stream' ? 'a data stream' : 'a dated index'} per tenant)`,
      managed_by: 'vigil',
    },
  };
}

/**
 * Elasticsearch's ILM policy (`PUT _ilm/policy/<name>`): a data stream rolls over daily (or at 50 GB a shard) and each
 * backing index is deleted 30 days after its rollover; a dated index is deleted 30 days after it was created.
 */
export function ilmPolicy(layout: IndexLayout): { [key: string]: Json } {
  const hot: Json =
    layout.indexMode === 'data-stream'
      ? { actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } } }
      : { min_age: '0ms', actions: {} };
  return {
    policy: {
      _meta: { description: `Vigil audit events are kept ${RETENTION_DAYS} days`, managed_by: 'vigil' },
      phases: { hot, delete: { min_age: `${RETENTION_DAYS}d`, actions: { delete: {} } } },
    },
  };
}

/**
 * OpenSearch's ISM policy (`PUT _plugins/_ism/policies/<name>`), attached to every new index of the template's
 * patterns by `ism_template`: the same 30 days, with a daily rollover of a data stream's write index.
 */
export function ismPolicy(layout: IndexLayout): { [key: string]: Json } {
  const rollover = layout.indexMode === 'data-stream';
  return {
    policy: {
      description: `Vigil audit events are kept ${RETENTION_DAYS} days (managed by vigil)`,
      default_state: 'hot',
      states: [
        {
          name: 'hot',
          actions: rollover ? [{ rollover: { min_index_age: '1d', min_primary_shard_size: '50gb' } }] : [],
          transitions: [{ state_name: 'delete', conditions: { min_index_age: `${RETENTION_DAYS}d` } }],
        },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: indexPatterns(layout), priority: TEMPLATE_PRIORITY }],
    },
  };
}

/** The files of deploy/elasticsearch/: the default layouts' template and policies, for a customer to deploy by hand. */
export function shippedDocuments(): Record<string, { [key: string]: Json }> {
  const layouts: Record<string, IndexLayout> = {
    daily: { indexMode: 'daily', prefix: 'vigil-audit', dataset: 'vigil.audit' },
    'data-stream': { indexMode: 'data-stream', prefix: 'vigil-audit', dataset: 'vigil.audit' },
  };
  const files: Record<string, { [key: string]: Json }> = {};
  for (const [mode, layout] of Object.entries(layouts)) {
    files[`deploy/elasticsearch/${mode}/index-template.elasticsearch.json`] = indexTemplate(layout, 'elasticsearch');
    files[`deploy/elasticsearch/${mode}/index-template.opensearch.json`] = indexTemplate(layout, 'opensearch');
    files[`deploy/elasticsearch/${mode}/ilm-policy.json`] = ilmPolicy(layout);
    files[`deploy/elasticsearch/${mode}/ism-policy.json`] = ismPolicy(layout);
  }
  return files;
}
