import type { Logger } from 'pino';
import {
  classifyHttpAnswer,
  cutToLimits,
  deliverInParts,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type Sink,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent, Severity } from '@vigil/events';
import { mapperFor, type FormatMapper } from '@vigil/formats';
import type { DatadogSettings } from './datadog.schema';

/** Datadog's Logs API v2 limits: entries per request, bytes per request (uncompressed) and per entry. */
export const DATADOG_MAX_ENTRIES = 1000;
export const DATADOG_MAX_REQUEST_BYTES = 5_000_000;
export const DATADOG_MAX_ENTRY_BYTES = 1_000_000;
/** Set on an entry whose event did not fit in 1 MB: the full event is left out, its id and action stay. */
export const TRUNCATED_MARKER = 'vigil_truncated';
/** How a cut entry ends (the marker is its last key); an event's own attribute of that name can never end an entry. */
const TRUNCATED_JSON = `,"${TRUNCATED_MARKER}":true}`;

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
  private readonly mapper: FormatMapper;
  /** Entries truncated to fit Datadog's 1 MB, since start (also logged each time). */
  truncated = 0;

  constructor(
    private readonly connector: ConnectorDefinition<DatadogSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
  ) {
    this.mapper = mapperFor('native', { extraFields: connector.extraFields });
  }

  encode(event: AuditEvent): string {
    const { settings } = this.connector;
    const entry = {
      ddsource: settings.source,
      ddtags: this.tags(event),
      service: event.service.name || settings.service,
      hostname: event.service.host ?? settings.hostname ?? null,
      message: event.description ?? `${event.action} by ${event.actor.id}: ${event.outcome}`,
      status: STATUS[event.severity],
      date: new Date(Math.floor(event.time / 1000)).toISOString(),
      evt: { id: event.id, name: event.action, category: event.category, outcome: event.outcome.toLowerCase() },
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
      vigil: this.mapper.toRecord(event),
    };
    const json = JSON.stringify(entry);
    if (Buffer.byteLength(json) <= DATADOG_MAX_ENTRY_BYTES) return json;
    this.truncated++;
    this.logger.warn(
      { connector: this.connector.name, eventId: event.id, bytes: Buffer.byteLength(json) },
      'event over Datadog’s 1 MB: sent without its vigil attribute',
    );
    const slim = { ...entry, vigil: undefined, [TRUNCATED_MARKER]: true, message: entry.message.slice(0, 10_000) };
    return JSON.stringify(slim);
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
      body: `[${part.map((r) => r.json).join(',')}]`,
      headers: { 'content-type': 'application/json', 'DD-API-KEY': settings.apiKey.reveal() },
      gzip: settings.gzip,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    const result = classifyHttpAnswer(answer);
    if (result.kind !== 'ok') this.logger.debug({ connector: this.connector.name, status: answer.status }, 'Datadog refused the batch');
    if (result.kind !== 'ok') return result;
    // Counted when Datadog took them (vigil_connector_events_truncated_total), not when encoded: a retry counts once.
    const truncated = part.filter((r) => r.json.endsWith(TRUNCATED_JSON)).length;
    return truncated > 0 ? { kind: 'ok', truncated } : result;
  }

  private tags(event: AuditEvent): string {
    const own = [
      `tenant:${event.tenantId}`,
      `category:${event.category}`,
      `action:${event.action}`,
      `outcome:${event.outcome.toLowerCase()}`,
    ];
    return [...own.map(tagValue), ...this.connector.settings.tags].join(',');
  }
}

/** Datadog tag values: commas would split the list; everything is lowercased by Datadog anyway. */
function tagValue(tag: string): string {
  return tag.replace(/,/g, '_').slice(0, 200);
}
