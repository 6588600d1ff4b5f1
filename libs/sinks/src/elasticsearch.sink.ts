import type { Logger } from 'pino';
import {
  boundedReason,
  classifyHttpAnswer,
  describeNetworkError,
  MAX_RESPONSE_BYTES,
  SinkHttpClient,
  type HttpAnswer,
  type ConnectorDefinition,
  type DeliveryResult,
  type EventRef,
  type Sink,
  type SinkEncoding,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent } from '@vigil/events';
import { mapperFor, type FormatMapper } from '@vigil/formats';
import { formatEncoding } from './format-encoder.factory';
import { indexTemplate, ilmPolicy, ismPolicy, policyName, templateName, type ClusterFlavor } from './elasticsearch-index.factory';
import type { ElasticsearchSettings } from './elasticsearch.schema';

const NEWLINE = Buffer.from('\n');

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}

/** An index name part from a tenant id: lowercase, and none of the characters Elasticsearch refuses in index names. */
export function indexSafe(tenantId: string): string {
  const safe = tenantId
    .toLowerCase()
    .replace(/[\\/*?"<>| ,#:]+/g, '_')
    .replace(/^[-_+.]+/, '');
  return (safe === '' ? 'tenant' : safe).slice(0, 100);
}

/** What the sink learnt from the cluster before its first bulk request. */
export interface ClusterSetup {
  flavor: ClusterFlavor;
  version: string;
  /** What was installed (template and lifecycle policy names), or why a part was not. */
  installed: string[];
  warnings: string[];
}

/** A setup step the cluster refused: how the batch waiting on it is answered. */
class SetupFailure extends Error {
  constructor(readonly result: Exclude<DeliveryResult, { kind: 'ok' | 'rejected' }>) {
    super(result.reason);
  }
}

/**
 * Elasticsearch 8/9 and OpenSearch 2 through `_bulk`: ECS documents with `create` actions and `_id` = the event's id, so
 * a retry or a replay never duplicates a document (an item's 409 counts as delivered). An HTTP 200 with `errors: true`
 * is read item by item: items refused as malformed (400, mapping errors) are dead-lettered; items answered 429 or 5xx
 * are sent again alone, with backoff, once the rest is settled.
 *
 * Before its first bulk request the sink asks the cluster what it is (`GET /`) and, unless `installTemplates` is off,
 * installs the index template with ECS mappings and the 30-day lifecycle policy in the cluster's dialect: ILM on
 * Elasticsearch, ISM on OpenSearch (a cluster without the ISM plugin gets the template and a warning).
 */
export class ElasticsearchConnector implements Sink {
  readonly encoding: SinkEncoding;
  private readonly mapper: FormatMapper;
  private readonly base: string;
  private readonly url: string;
  private setup: Promise<ClusterSetup> | undefined;

  constructor(
    private readonly connector: ConnectorDefinition<ElasticsearchSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
  ) {
    this.mapper = mapperFor('ecs', { extraFields: connector.extraFields });
    this.encoding = formatEncoding('ecs', { extraFields: connector.extraFields });
    this.base = connector.settings.url.replace(/\/+$/, '');
    // Only what the sink reads of each item: a 1,000-item answer is then about 25 KB instead of 200 KB or more.
    this.url = `${this.base}/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason`;
  }

  /** Learns the cluster's flavor and installs the template and policy; a problem is reported, and retried later. */
  async probe(signal: AbortSignal): Promise<string | undefined> {
    try {
      await this.prepared(signal);
      return undefined;
    } catch (err) {
      return err instanceof SetupFailure ? err.result.reason : describeNetworkError(err);
    }
  }

  /** The cluster's setup, done once; a failed attempt is forgotten, so the next batch tries again. */
  prepared(signal: AbortSignal): Promise<ClusterSetup> {
    this.setup ??= this.prepare(signal).catch((err: unknown) => {
      this.setup = undefined;
      throw err;
    });
    return this.setup;
  }

  private async prepare(signal: AbortSignal): Promise<ClusterSetup> {
    // A write-only key (templates deployed by hand) may not read `GET /` (Elasticsearch's `monitor`): not asked then.
    if (!this.connector.settings.installTemplates) return { flavor: 'elasticsearch', version: 'not asked', installed: [], warnings: [] };
    const root = await this.call('GET', '/', undefined, signal);
    if (root.status !== 200) throw this.failure('GET /', root);
    const info = parseJson(root.text) as { version?: { number?: string; distribution?: string } } | undefined;
    const flavor: ClusterFlavor = info?.version?.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
    const setup: ClusterSetup = { flavor, version: info?.version?.number ?? 'unknown', installed: [], warnings: [] };
    const layout = this.connector.settings;
    if (flavor === 'elasticsearch') {
      await this.install('PUT', `/_ilm/policy/${policyName(layout)}`, ilmPolicy(layout), signal);
      setup.installed.push(`ILM policy ${policyName(layout)}`);
    } else if (await this.installIsm(signal)) setup.installed.push(`ISM policy ${policyName(layout)}`);
    else
      setup.warnings.push(
        `the cluster has no Index State Management plugin: indices are not deleted after 30 days (install opensearch-index-management, or delete them yourself)`,
      );
    await this.install('PUT', `/_index_template/${templateName(layout)}`, indexTemplate(layout, flavor), signal);
    setup.installed.push(`index template ${templateName(layout)}`);
    this.logger.info({ connector: this.connector.name, ...setup }, 'cluster prepared');
    for (const warning of setup.warnings) this.logger.warn({ connector: this.connector.name }, warning);
    return setup;
  }

  /** Creates the ISM policy, or updates it in place (ISM needs the stored version to do that); false without ISM. */
  private async installIsm(signal: AbortSignal): Promise<boolean> {
    const path = `/_plugins/_ism/policies/${policyName(this.connector.settings)}`;
    const body = ismPolicy(this.connector.settings);
    const created = await this.call('PUT', path, body, signal);
    if (created.status === 200 || created.status === 201) return true;
    // OpenSearch without the plugin: `no handler found for uri`, answered 400 (or 404 behind some proxies).
    if ((created.status === 400 || created.status === 404) && created.text.includes('no handler found')) return false;
    if (created.status !== 409) throw this.failure(`PUT ${path}`, created);
    const current = await this.call('GET', path, undefined, signal);
    if (current.status !== 200) throw this.failure(`GET ${path}`, current);
    const { _seq_no: seq, _primary_term: term } = (parseJson(current.text) ?? {}) as { _seq_no?: number; _primary_term?: number };
    await this.install('PUT', `${path}?if_seq_no=${seq ?? 0}&if_primary_term=${term ?? 0}`, body, signal);
    return true;
  }

  private async install(method: 'PUT', path: string, body: unknown, signal: AbortSignal): Promise<void> {
    const answer = await this.call(method, path, body, signal);
    if (answer.status !== 200 && answer.status !== 201) throw this.failure(`${method} ${path.split('?')[0] ?? path}`, answer);
  }

  private call(method: 'GET' | 'PUT', path: string, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
    const { timeoutMs } = this.connector.settings;
    if (method === 'GET') return this.http.get(`${this.base}${path}`, this.auth(), timeoutMs, signal);
    return this.http.put({
      url: `${this.base}${path}`,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...this.auth() },
      timeoutMs,
      signal,
    });
  }

  /** A setup answer as a delivery result: credentials and privileges are the operator's to fix, the rest is retried. */
  private failure(step: string, answer: HttpAnswer): SetupFailure {
    const result = classifyHttpAnswer(answer);
    const reason = boundedReason(`preparing the cluster (${step}): HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
    if (answer.status === 403 && step !== 'GET /')
      return new SetupFailure({
        kind: 'auth-failed',
        reason: boundedReason(
          `${reason}; grant manage_index_templates and manage_ilm (OpenSearch: the ISM permissions), or set installTemplates: false and deploy deploy/elasticsearch/ yourself`,
        ),
      });
    if (result.kind === 'auth-failed' || result.kind === 'retryable') return new SetupFailure({ ...result, reason });
    // A refused template or policy is a configuration problem (an old cluster, a conflicting template): an operator acts.
    return new SetupFailure({ kind: 'auth-failed', reason });
  }

  encode(event: AuditEvent): string {
    return JSON.stringify(this.mapper.toRecord(event));
  }

  /** Where the event goes: its tenant's dated index or data stream. */
  indexOf(event: EventRef): string {
    const { indexMode, prefix, dataset } = this.connector.settings;
    const tenant = indexSafe(event.tenantId);
    if (indexMode === 'data-stream') return `logs-${dataset}-${tenant}`;
    const day = new Date(Math.floor(event.time / 1000)).toISOString().slice(0, 10).replace(/-/g, '.');
    return `${prefix}-${tenant}-${day}`;
  }

  async deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const { settings } = this.connector;
    const answerCap = Math.max(MAX_RESPONSE_BYTES, records.length * 1024);
    try {
      await this.prepared(signal);
    } catch (err) {
      if (err instanceof SetupFailure) return err.result;
      throw err;
    }
    const parts: Buffer[] = [];
    for (const r of records)
      parts.push(Buffer.from(`${JSON.stringify({ create: { _index: this.indexOf(r.event), _id: r.event.id } })}\n`), r.bytes, NEWLINE);
    const body = Buffer.concat(parts);
    const answer = await this.http.post({
      url: this.url,
      body,
      headers: { 'content-type': 'application/x-ndjson', ...this.auth() },
      gzip: settings.gzip,
      gzipLevel: settings.gzipLevel,
      timeoutMs: settings.timeoutMs,
      signal,
      // The answer names every item and must be read whole; an item is at most a few hundred bytes with its reason.
      maxResponseBytes: answerCap,
    });
    if (answer.status !== 200) {
      const result = classifyHttpAnswer(answer);
      if (result.kind !== 'ok')
        this.logger.debug({ connector: this.connector.name, status: answer.status }, 'the cluster refused the bulk request');
      return result;
    }
    const parsed = parseJson(answer.text) as { errors?: boolean; items?: Record<string, BulkItem>[] } | undefined;
    if (parsed === undefined) {
      // Cut at the cap: the batch is split, so each half's answer is smaller (resent items answer 409, never twice).
      if (Buffer.byteLength(answer.text) >= answerCap - 4)
        return { kind: 'rejected', reason: `bulk answer over ${answerCap} bytes; splitting the batch`, rejected: [], delivered: [] };
      // Not JSON: nothing is known, so everything is sent again (what landed answers 409 then).
      return { kind: 'retryable', reason: boundedReason(`bulk answer not readable: ${answer.text.slice(0, 200)}`) };
    }
    if (parsed.errors !== true) return { kind: 'ok' };
    return itemResults(parsed.items ?? [], records.length);
  }

  private auth(): Record<string, string> {
    const { apiKey, username, password } = this.connector.settings;
    if (apiKey !== undefined) return { authorization: `ApiKey ${apiKey.reveal()}` };
    if (username !== undefined && password !== undefined)
      return { authorization: `Basic ${Buffer.from(`${username}:${password.reveal()}`).toString('base64')}` };
    return {};
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The batch's outcome from its items: 2xx and 409 landed; other 4xx are the items' own (dead-lettered); 429 and 5xx
 * items are retried alone, after the refused ones are dead-lettered and the landed ones settled.
 */
function itemResults(items: readonly Record<string, BulkItem>[], count: number): DeliveryResult {
  if (items.length !== count) return { kind: 'retryable', reason: `bulk answered ${items.length} items for ${count} documents` };
  const delivered: number[] = [];
  const rejected: number[] = [];
  let retry: string | undefined;
  let refusal: string | undefined;
  items.forEach((entry, i) => {
    const item = entry['create'] ?? Object.values(entry)[0];
    const status = item?.status ?? 500;
    const why = `item ${status}: ${item?.error?.type ?? ''} ${item?.error?.reason ?? ''}`.trim();
    if ((status >= 200 && status < 300) || status === 409) delivered.push(i);
    else if (status === 429 || status >= 500) retry ??= why;
    else {
      rejected.push(i);
      refusal ??= why;
    }
  });
  if (rejected.length > 0) return { kind: 'rejected', reason: boundedReason(refusal ?? 'refused'), rejected, delivered };
  if (retry !== undefined) return { kind: 'retryable', reason: boundedReason(retry), delivered };
  return { kind: 'ok' };
}
