import type { Logger } from 'pino';
import {
  boundedReason,
  classifyHttpAnswer,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type Sink,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent } from '@vigil/events';
import { mapperFor, type FormatMapper } from '@vigil/formats';
import type { ElasticsearchSettings } from './elasticsearch.schema';

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

/**
 * Elasticsearch 8/9 and OpenSearch 2 through `_bulk`: ECS documents with `create` actions and `_id` = the event's id, so
 * a retry or a replay never duplicates a document (an item's 409 counts as delivered). An HTTP 200 with `errors: true`
 * is read item by item: items refused as malformed (400, mapping errors) are dead-lettered; any item answered 429 or
 * 5xx makes the batch retried with backoff, and the items that did land answer 409 the next time.
 */
export class ElasticsearchConnector implements Sink {
  private readonly mapper: FormatMapper;
  private readonly url: string;

  constructor(
    private readonly connector: ConnectorDefinition<ElasticsearchSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
  ) {
    this.mapper = mapperFor('ecs', { extraFields: connector.extraFields });
    this.url = `${connector.settings.url.replace(/\/+$/, '')}/_bulk`;
  }

  encode(event: AuditEvent): string {
    return JSON.stringify(this.mapper.toRecord(event));
  }

  /** Where the event goes: its tenant's dated index or data stream. */
  indexOf(event: AuditEvent): string {
    const { indexMode, prefix, dataset } = this.connector.settings;
    const tenant = indexSafe(event.tenantId);
    if (indexMode === 'data-stream') return `logs-${dataset}-${tenant}`;
    const day = new Date(Math.floor(event.time / 1000)).toISOString().slice(0, 10).replace(/-/g, '.');
    return `${prefix}-${tenant}-${day}`;
  }

  async deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const { settings } = this.connector;
    const body = records
      .map((r) => `${JSON.stringify({ create: { _index: this.indexOf(r.event), _id: r.event.id } })}\n${r.json}\n`)
      .join('');
    const answer = await this.http.post({
      url: this.url,
      body,
      headers: { 'content-type': 'application/x-ndjson', ...this.auth() },
      gzip: settings.gzip,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    if (answer.status !== 200) {
      const result = classifyHttpAnswer(answer);
      if (result.kind !== 'ok')
        this.logger.debug({ connector: this.connector.name, status: answer.status }, 'the cluster refused the bulk request');
      return result;
    }
    let parsed: { errors?: boolean; items?: Record<string, BulkItem>[] };
    try {
      parsed = JSON.parse(answer.text) as typeof parsed;
    } catch {
      // An answer over the read cap (64 KiB) or not JSON: nothing is known, so everything is sent again (409s then).
      return parsed0(answer.text);
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

function parsed0(text: string): DeliveryResult {
  return { kind: 'retryable', reason: boundedReason(`bulk answer not readable: ${text.slice(0, 200)}`) };
}

/** The batch's outcome from its items: 2xx and 409 landed, 429/5xx retry the batch, other 4xx are the items' own. */
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
  if (retry !== undefined) return { kind: 'retryable', reason: boundedReason(retry) };
  if (rejected.length === 0) return { kind: 'ok' };
  return { kind: 'rejected', reason: boundedReason(refusal ?? 'refused'), rejected, delivered };
}
