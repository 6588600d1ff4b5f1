import type { Logger } from 'pino';
import {
  joinRecords,
  classifyHttpAnswer,
  cutToLimits,
  deliverInParts,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type Sink,
  type SinkEncoding,
  type SinkRecord,
} from '@vigil/connector';
import { microsToIsoMillis, type AuditEvent, type Severity } from '@vigil/events';
import { mapperFor, type ExtraFieldsOptions } from '@vigil/formats';
import type { DatadogSettings } from './datadog.schema';

/** Datadog's Logs API v2 limits: entries per request, bytes per request (uncompressed) and per entry. */
export const DATADOG_MAX_ENTRIES = 1000;
export const DATADOG_MAX_REQUEST_BYTES = 5_000_000;
export const DATADOG_MAX_ENTRY_BYTES = 1_000_000;
/** Set on an entry whose event did not fit in 1 MB: the full event is left out, its id and action stay. */
export const TRUNCATED_MARKER = 'vigil_truncated';
/** How a cut entry ends (the marker is its last key); an event's own attribute of that name can never end an entry. */
const TRUNCATED_JSON = `,"${TRUNCATED_MARKER}":true}`;
const TRUNCATED_BYTES = Buffer.from(TRUNCATED_JSON);

/** At most this many tenant, category, outcome and action combinations keep their tags; then the cache starts over. */
const TAGS_CACHE_LIMIT = 4096;
/**
 * Tenants and actions longer than this together are not kept (their tags are built for each event, as before): a
 * record written to Kafka without the SDK can carry a megabyte action, and 4,096 of them must not stay in memory.
 */
const TAGS_CACHE_MAX_KEY_LENGTH = 512;

const STATUS: Record<Severity, string> = { INFO: 'info', LOW: 'notice', MEDIUM: 'warning', HIGH: 'error', CRITICAL: 'critical' };

/**
 * Datadog Logs API v2 (`POST /api/v2/logs`, `DD-API-KEY`, gzip). Each event is one log entry with Datadog's reserved
 * attributes (`ddsource`, `ddtags`, `service`, `hostname`, `message`, `status`, `date`), its standard attributes
 * (`evt.*`, `usr.*`, `network.client.ip`, `http.*`) and the whole event under `vigil`. A batch is cut into requests of
 * at most 1,000 entries and 5 MB; an entry over 1 MB loses its `vigil` attribute and says so (`vigil_truncated`).
 * 202 is success; 400 and 413 refuse the request (the runner splits it to find the bad entry); 408, 429 and 5xx are
 * retried (Retry-After honoured); 401 and 403 are credential failures.
 */
export class DatadogConnector implements Sink {
  readonly encoding: SinkEncoding;
  private readonly encodeEntry: (event: AuditEvent) => string;

  constructor(
    private readonly connector: ConnectorDefinition<DatadogSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
  ) {
    const { source, service, hostname, tags } = connector.settings;
    const options: DatadogEncoderOptions = { settings: { source, service, hostname, tags }, extraFields: connector.extraFields };
    this.encodeEntry = datadogEncoder(options);
    this.encoding = { module: __filename, factory: datadogEncoder.name, options };
  }

  encode(event: AuditEvent): string {
    return this.encodeEntry(event);
  }

  deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    // A later request refused on its own: what went before is in Datadog, the rest is split by the runner.
    const parts = cutToLimits(records, { maxEvents: DATADOG_MAX_ENTRIES, maxBytes: DATADOG_MAX_REQUEST_BYTES }, 2);
    return deliverInParts(parts, (part) => this.send(part, signal));
  }

  private async send(part: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const { settings } = this.connector;
    const answer = await this.http.post({
      url: settings.url,
      body: joinRecords(part, '[', ',', ']'),
      headers: { 'content-type': 'application/json', 'DD-API-KEY': settings.apiKey.reveal() },
      gzip: settings.gzip,
      gzipLevel: settings.gzipLevel,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    const result = classifyHttpAnswer(answer);
    if (result.kind !== 'ok') this.logger.debug({ connector: this.connector.name, status: answer.status }, 'Datadog refused the batch');
    if (result.kind !== 'ok') return result;
    // Counted when Datadog took them (vigil_connector_events_truncated_total), not when encoded: a retry counts once.
    const truncated = part.filter((r) => endsWith(r.bytes, TRUNCATED_BYTES));
    if (truncated.length === 0) return result;
    this.logger.warn(
      { connector: this.connector.name, eventIds: truncated.slice(0, 10).map((r) => r.event.id), count: truncated.length },
      'events over Datadog’s 1 MB: sent without their vigil attribute',
    );
    return { kind: 'ok', truncated: truncated.length };
  }
}

/** Whether `bytes` ends with `tail`. */
function endsWith(bytes: Buffer, tail: Buffer): boolean {
  return bytes.length >= tail.length && bytes.subarray(bytes.length - tail.length).equals(tail);
}

/** Datadog tag values: commas would split the list; everything is lowercased by Datadog anyway. */
function tagValue(tag: string): string {
  return tag.replace(/,/g, '_').slice(0, 200);
}

/** An entry's `ddtags`: the event's own tags, then the connector's. */
function tagsText(event: AuditEvent, outcome: string, configured: readonly string[]): string {
  const own = [`tenant:${event.tenantId}`, `category:${event.category}`, `action:${event.action}`, `outcome:${outcome}`];
  return [...own.map(tagValue), ...configured].join(',');
}

/** What a Datadog entry is built from: plain data, so a worker thread builds the very same encoder. */
export interface DatadogEncoderOptions {
  settings: Pick<DatadogSettings, 'source' | 'service' | 'hostname' | 'tags'>;
  extraFields: ExtraFieldsOptions | undefined;
}

/**
 * An event as a Datadog log entry (JSON text): reserved and standard attributes, the native event under `vigil`; an
 * entry over 1 MB is sent without `vigil` and marked `vigil_truncated` (the sink logs and counts it when delivered).
 */
export function datadogEncoder(options: DatadogEncoderOptions): (event: AuditEvent) => string {
  const { settings } = options;
  const mapper = mapperFor('native', { extraFields: options.extraFields });
  // A tenant's events mostly share their tags: built once per combination (0.7 µs an event otherwise), by tenant and
  // then by category, outcome and action. The first two are enums without a newline, so the key is unambiguous.
  const tagsByTenant = new Map<string, Map<string, string>>();
  let cachedTags = 0;
  const tagsOf = (event: AuditEvent, outcome: string): string => {
    if (event.tenantId.length + event.action.length > TAGS_CACHE_MAX_KEY_LENGTH) return tagsText(event, outcome, settings.tags);
    let byKey = tagsByTenant.get(event.tenantId);
    const key = `${event.category}\n${outcome}\n${event.action}`;
    const cached = byKey?.get(key);
    if (cached !== undefined) return cached;
    const tags = tagsText(event, outcome, settings.tags);
    if (cachedTags >= TAGS_CACHE_LIMIT) {
      tagsByTenant.clear();
      cachedTags = 0;
      byKey = undefined;
    }
    if (byKey === undefined) tagsByTenant.set(event.tenantId, (byKey = new Map<string, string>()));
    byKey.set(key, tags);
    cachedTags++;
    return tags;
  };
  return (event) => {
    const outcome = event.outcome.toLowerCase();
    const entry = {
      ddsource: settings.source,
      ddtags: tagsOf(event, outcome),
      service: event.service.name || settings.service,
      hostname: event.service.host ?? settings.hostname ?? null,
      message: event.description ?? `${event.action} by ${event.actor.id}: ${event.outcome}`,
      status: STATUS[event.severity],
      date: microsToIsoMillis(event.time),
      evt: { id: event.id, name: event.action, category: event.category, outcome },
      usr: { id: event.actor.id, name: event.actor.name },
      network: event.client?.ip ? { client: { ip: event.client.ip } } : undefined,
      http:
        event.http === null && event.client?.userAgent == null
          ? undefined
          : {
              method: event.http?.method ?? undefined,
              url: event.http?.url ?? undefined,
              status_code: event.http?.statusCode ?? undefined,
              useragent: event.client?.userAgent ?? undefined,
            },
      trace_id: event.traceId ?? undefined,
      vigil: mapper.toRecord(event),
    };
    const json = JSON.stringify(entry);
    if (Buffer.byteLength(json) <= DATADOG_MAX_ENTRY_BYTES) return json;
    const slim = { ...entry, vigil: undefined, [TRUNCATED_MARKER]: true, message: entry.message.slice(0, 10_000) };
    return JSON.stringify(slim);
  };
}
