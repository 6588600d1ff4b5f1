import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import {
  joinRecords,
  classifyHttpAnswer,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type Sink,
  type SinkEncoding,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent } from '@vigil/events';
import { mapperFor, type FormatMapper } from '@vigil/formats';
import { formatEncoding } from './format-encoder.factory';
import type { WebhookSettings } from './webhook.schema';

export const SIGNATURE_TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const SIGNATURE_HEADER = 'x-vigil-signature';
const OTLP_LOGS_PATH = '/v1/logs';

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` over the uncompressed body, as docs/connectors.md tells receivers. */
export function webhookSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * A generic HTTPS webhook: a JSON array or NDJSON of native/ECS documents, or an OTLP/HTTP JSON logs request to
 * `/v1/logs`; custom and secret headers; each request signed with a timestamped HMAC so receivers can reject forgeries
 * and replays.
 */
export class WebhookConnector implements Sink {
  /** Undefined for OTLP: its request groups whole events by resource, so they are decoded on the main thread. */
  readonly encoding: SinkEncoding | undefined;
  private readonly mapper: FormatMapper;
  private readonly url: string;

  constructor(
    private readonly connector: ConnectorDefinition<WebhookSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
    private readonly clock = new Clock(),
  ) {
    const { settings, format, extraFields } = connector;
    this.mapper = mapperFor(format, { extraFields, framing: settings.framing });
    this.encoding = format === 'otlp' ? undefined : formatEncoding(format, { extraFields, framing: settings.framing });
    this.url = format === 'otlp' ? otlpUrl(settings.url) : settings.url;
  }

  encode(event: AuditEvent): string {
    return JSON.stringify(this.mapper.toRecord(event));
  }

  async deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const { settings } = this.connector;
    const body = this.body(records);
    const answer = await this.http.post({
      url: this.url,
      body,
      headers: this.headers(body),
      gzip: settings.gzip,
      gzipLevel: settings.gzipLevel,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    const result = classifyHttpAnswer(answer);
    if (result.kind !== 'ok') this.logger.debug({ connector: this.connector.name, status: answer.status }, 'webhook refused the batch');
    return result;
  }

  private body(records: readonly SinkRecord[]): string | Buffer {
    switch (this.connector.format) {
      case 'otlp':
        // Log records are grouped by resource, so the request is built from the events, not from the per-event JSON.
        return this.mapper.encodeBatch(records.map(wholeEvent));
      case 'native':
      case 'ecs':
      case 'hec':
        return this.connector.settings.framing === 'ndjson' ? joinRecords(records, '', '\n', '\n') : joinRecords(records, '[', ',', ']');
    }
  }

  private headers(body: string | Buffer): Record<string, string> {
    const { headers, secretHeaders, signingSecret } = this.connector.settings;
    const out: Record<string, string> = { ...headers, 'content-type': this.mapper.contentType };
    for (const [name, secret] of Object.entries(secretHeaders)) out[name] = secret.reveal();
    if (signingSecret !== undefined) {
      const timestamp = Math.floor(this.clock.now().getTime() / 1000);
      out[SIGNATURE_TIMESTAMP_HEADER] = String(timestamp);
      out[SIGNATURE_HEADER] = webhookSignature(signingSecret.reveal(), timestamp, body);
    }
    return out;
  }
}

function otlpUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = OTLP_LOGS_PATH;
  return parsed.toString();
}

/** An OTLP request is built from whole events: a sink without `encoding` always gets them (SinkRecord.whole). */
function wholeEvent(record: SinkRecord): AuditEvent {
  if (record.whole === undefined) throw new Error(`event ${record.event.id} reached the OTLP webhook without its decoded event`);
  return record.whole;
}
