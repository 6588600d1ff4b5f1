import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import {
  recordRuns,
  boundedReason,
  classifyHttpAnswer,
  describeNetworkError,
  redirectReason,
  sleep,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type HttpAnswer,
  type Sink,
  type SinkEncoding,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent } from '@vigil/events';
import { mapperFor, type FormatMapper } from '@vigil/formats';
import { formatEncoding } from './format-encoder.factory';
import type { SplunkHecSettings } from './splunk-hec.schema';

interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  'invalid-event-number'?: number;
}

// HEC status codes by meaning (https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector).
const AUTH_CODES = new Set([1, 2, 3, 4]);
const EVENT_CODES = new Set([6, 12, 13, 15]);
const CHANNEL_CODES = new Set([10, 11, 14]);
const BUSY = 9;

/**
 * Splunk HTTP Event Collector: batches of concatenated HEC events to `/services/collector/event` with
 * `Authorization: Splunk <token>`, optional gzip, and optional indexer acknowledgement (a channel per process; the
 * batch counts as delivered only once its ackId reports true).
 */
export class SplunkHecConnector implements Sink {
  readonly encoding: SinkEncoding;
  private readonly mapper: FormatMapper;
  private readonly base: string;
  private readonly channel: string | undefined;

  constructor(
    private readonly connector: ConnectorDefinition<SplunkHecSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
    private readonly clock = new Clock(),
  ) {
    const { settings, extraFields } = connector;
    // The connector's extraFields go into each event's native document, as the webhook sink puts them in its documents.
    const options = {
      extraFields,
      hec: { host: settings.host, source: settings.source, sourcetype: settings.sourcetype, index: settings.index },
    };
    this.mapper = mapperFor('hec', options);
    this.encoding = formatEncoding('hec', options);
    this.base = settings.url.replace(/\/+$/, '');
    this.channel = settings.ack.enabled ? (settings.ack.channel ?? randomUUID()) : undefined;
  }

  encode(event: AuditEvent): string {
    return JSON.stringify(this.mapper.toRecord(event));
  }

  async probe(signal: AbortSignal): Promise<string | undefined> {
    try {
      const answer = await this.http.get(`${this.base}/services/collector/health`, {}, 5000, signal);
      if (answer.status === 200) return undefined;
      if (answer.status >= 300 && answer.status < 400) return `HEC health: ${redirectReason(answer)}`;
      return boundedReason(`HEC health: HTTP ${answer.status} ${parseReply(answer).text ?? ''}`.trim());
    } catch (err) {
      return `HEC health: ${describeNetworkError(err)}`;
    }
  }

  async deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const { settings } = this.connector;
    const answer = await this.http.post({
      url: `${this.base}/services/collector/event`,
      body: recordRuns(records),
      headers: this.headers(),
      gzip: settings.gzip,
      gzipLevel: settings.gzipLevel,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    const reply = parseReply(answer);
    if (answer.status !== 200 || (reply.code ?? 0) !== 0) return interpret(answer, reply, records.length);
    if (this.channel === undefined) return { kind: 'ok' };
    if (reply.ackId === undefined)
      return { kind: 'auth-failed', reason: 'acknowledgement is enabled but HEC returned no ackId (is useACK on for the token?)' };
    return this.awaitAck(reply.ackId, signal);
  }

  private headers(): Record<string, string> {
    return {
      authorization: `Splunk ${this.connector.settings.token.reveal()}`,
      'content-type': 'application/json',
      ...(this.channel !== undefined && { 'x-splunk-request-channel': this.channel }),
    };
  }

  /** Polls the ack endpoint until the batch is indexed; not acknowledged in time means resend (duplicates possible). */
  private async awaitAck(ackId: number, signal: AbortSignal): Promise<DeliveryResult> {
    const { ack, timeoutMs } = this.connector.settings;
    const deadline = this.clock.now().getTime() + ack.timeoutMs;
    while (this.clock.now().getTime() < deadline) {
      await sleep(ack.pollIntervalMs, signal);
      if (signal.aborted) return { kind: 'retryable', reason: 'stopping before the batch was acknowledged' };
      let answer: HttpAnswer;
      try {
        answer = await this.http.post({
          url: `${this.base}/services/collector/ack`,
          body: JSON.stringify({ acks: [ackId] }),
          headers: this.headers(),
          timeoutMs,
          signal,
        });
      } catch (err) {
        this.logger.debug({ connector: this.connector.name, err: describeNetworkError(err) }, 'ack poll failed; polling again');
        continue;
      }
      if (answer.status !== 200) return interpret(answer, parseReply(answer), 1);
      const acks = (parseJson(answer.text) as { acks?: Record<string, boolean> } | undefined)?.acks;
      if (acks?.[String(ackId)] === true) return { kind: 'ok' };
    }
    return { kind: 'retryable', reason: `batch not acknowledged within ${ack.timeoutMs} ms (ackId ${ackId}); resending it` };
  }
}

/** A HEC answer by its code: busy retries, bad events are named by index, credentials and channels need an operator. */
function interpret(answer: HttpAnswer, reply: HecReply, count: number): DeliveryResult {
  const code = reply.code;
  const reason = boundedReason(`HEC ${answer.status} code ${code ?? '?'}: ${reply.text ?? answer.text}`);
  if (code !== undefined && AUTH_CODES.has(code)) return { kind: 'auth-failed', reason };
  if (code !== undefined && CHANNEL_CODES.has(code)) return { kind: 'auth-failed', reason: `${reason} (check the ack settings)` };
  if (code === BUSY) return { kind: 'retryable', reason, retryAfterMs: answer.retryAfterMs };
  if (code !== undefined && EVENT_CODES.has(code)) {
    const bad = reply['invalid-event-number'];
    if (bad === undefined || bad < 0 || bad >= count) return { kind: 'rejected', reason, rejected: [], delivered: [] };
    // HEC indexes the events before the invalid one and stops there; the rest must be sent again.
    return { kind: 'rejected', reason, rejected: [bad], delivered: Array.from({ length: bad }, (_, i) => i) };
  }
  return classifyHttpAnswer(answer);
}

function parseReply(answer: HttpAnswer): HecReply {
  const json = parseJson(answer.text);
  return typeof json === 'object' && json !== null ? json : {};
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
