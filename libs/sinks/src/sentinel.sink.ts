import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import {
  joinRecords,
  boundedReason,
  classifyHttpAnswer,
  cutToLimits,
  deliverInParts,
  SinkHttpClient,
  type ConnectorDefinition,
  type DeliveryResult,
  type HttpAnswer,
  type Sink,
  type SinkEncoding,
  type SinkRecord,
} from '@vigil/connector';
import type { AuditEvent, Outcome, Severity } from '@vigil/events';
import { microsToIso } from '@vigil/formats';
import type { SentinelSettings } from './sentinel.schema';

/** The Logs Ingestion API takes at most 1 MB per call. */
export const SENTINEL_MAX_REQUEST_BYTES = 1_000_000;
export const LOGS_INGESTION_API_VERSION = '2023-01-01';
/** A token is used until this long before it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;

const RESULT: Record<Outcome, string> = { SUCCESS: 'Success', FAILURE: 'Failure', UNKNOWN: 'NA' };
const SEVERITY: Record<Severity, string> = { INFO: 'Informational', LOW: 'Low', MEDIUM: 'Medium', HIGH: 'High', CRITICAL: 'High' };

/** ASIM's AuditEvent EventType from the last word of a dotted action. */
function eventType(action: string): string {
  const verb = action.slice(action.lastIndexOf('.') + 1);
  if (/^(created|added|invited|registered|uploaded|imported|granted|assigned)$/.test(verb)) return 'Create';
  if (/^(deleted|removed|revoked|unassigned|purged)$/.test(verb)) return 'Delete';
  if (/^(enabled|activated|unlocked|resumed)$/.test(verb)) return 'Enable';
  if (/^(disabled|deactivated|locked|suspended|paused)$/.test(verb)) return 'Disable';
  if (/^(viewed|read|exported|downloaded|accessed|listed|searched)$/.test(verb)) return 'Read';
  if (/^(executed|ran|started|triggered)$/.test(verb)) return 'Execute';
  if (/^(updated|changed|set|modified|renamed|shared|published|moved|reset)$/.test(verb)) return 'Set';
  return 'Other';
}

type Payload = Record<string, unknown> | null;

function firstOf(payload: Payload, names: readonly string[]): string | null {
  for (const name of names) {
    const value = payload?.[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * One row of the `VigilAudit_CL` table: Microsoft's ASIM Audit Event schema where it fits, so Sentinel's ASIM parsers,
 * workbooks and analytics rules read it, plus Vigil's own ids. The shipped table and rule (deploy/sentinel/) declare
 * exactly these columns.
 */
/** An event as its ASIM row's JSON text (what the sink's encode returns). */
export function sentinelEncoder(): (event: AuditEvent) => string {
  return (event) => JSON.stringify(asimAuditRow(event));
}

export function asimAuditRow(event: AuditEvent): Record<string, unknown> {
  const payload = event.payload as Payload;
  const target = event.targets[0];
  const time = microsToIso(event.time);
  return {
    TimeGenerated: time,
    EventStartTime: time,
    EventEndTime: time,
    EventType: eventType(event.action),
    EventResult: RESULT[event.outcome],
    EventSeverity: SEVERITY[event.severity],
    EventSchema: 'AuditEvent',
    EventSchemaVersion: '0.1',
    EventProduct: 'Vigil',
    EventVendor: 'Vigil',
    EventOriginalUid: event.id,
    Operation: event.action,
    Object: target?.name ?? target?.id ?? null,
    ObjectType: target?.type ?? null,
    ObjectId: target?.id ?? null,
    OldValue: firstOf(payload, ['oldValue', 'previousValue', 'previousStatus', 'previousState', 'previousEmail', 'oldRole']),
    NewValue: firstOf(payload, ['newValue', 'value', 'status', 'state', 'email', 'newRole']),
    ActorUserId: event.actor.id,
    ActorUsername: event.actor.name,
    ActorUserType: event.actor.type === 'USER' ? 'Regular' : event.actor.type === 'SERVICE' ? 'Service' : 'Other',
    SrcIpAddr: event.client?.ip ?? null,
    HttpUserAgent: event.client?.userAgent ?? null,
    TargetAppName: event.service.name,
    DvcHostname: event.service.host,
    EventMessage: event.description,
    VigilEventId: event.id,
    VigilTenantId: event.tenantId,
    VigilCategory: event.category,
    VigilCorrelationId: event.correlationId,
    AdditionalFields: { attributes: event.attributes, payload: event.payload, targets: event.targets, http: event.http },
  };
}

interface Token {
  value: string;
  renewAt: number;
}

/**
 * Microsoft Sentinel through Azure Monitor's Logs Ingestion API (the HTTP Data Collector API was retired in September
 * 2026): an OAuth2 client-credentials token from Microsoft Entra ID, cached until five minutes before it expires and
 * fetched again after a 401; rows posted as JSON arrays of at most 1 MB to the data collection rule's stream. 204 is
 * success; 429 and 5xx are retried (Retry-After honoured); 400 and 413 refuse the call (the runner splits the batch);
 * 401 after a fresh token and 403 are credential or permission failures.
 */
export class SentinelConnector implements Sink {
  private token: Token | undefined;
  private readonly url: string;

  constructor(
    private readonly connector: ConnectorDefinition<SentinelSettings>,
    private readonly logger: Logger,
    private readonly http = new SinkHttpClient(),
    private readonly clock = new Clock(),
  ) {
    const { endpoint, dcrImmutableId, streamName } = connector.settings;
    const base = endpoint.replace(/\/+$/, '');
    this.url = `${base}/dataCollectionRules/${dcrImmutableId}/streams/${encodeURIComponent(streamName)}?api-version=${LOGS_INGESTION_API_VERSION}`;
  }

  /** The ASIM row needs nothing of the connector: worker threads build the same encoder (sentinelEncoder). */
  readonly encoding: SinkEncoding = { module: __filename, factory: sentinelEncoder.name, options: null };

  encode(event: AuditEvent): string {
    return JSON.stringify(asimAuditRow(event));
  }

  async probe(signal: AbortSignal): Promise<string | undefined> {
    const token = await this.fetchToken(signal).catch((err: Error) => ({ kind: 'retryable' as const, reason: err.message }));
    return 'kind' in token ? token.reason : undefined;
  }

  deliver(records: readonly SinkRecord[], signal: AbortSignal): Promise<DeliveryResult> {
    const parts = cutToLimits(records, { maxEvents: Number.POSITIVE_INFINITY, maxBytes: SENTINEL_MAX_REQUEST_BYTES }, 2);
    return deliverInParts(parts, (part) => this.send(part, signal));
  }

  private async send(part: readonly SinkRecord[], signal: AbortSignal, retriedAuth = false): Promise<DeliveryResult> {
    const token = await this.fetchToken(signal);
    if ('kind' in token) return token;
    const { settings } = this.connector;
    const answer = await this.http.post({
      url: this.url,
      body: joinRecords(part, '[', ',', ']'),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value}` },
      gzip: settings.gzip,
      gzipLevel: settings.gzipLevel,
      timeoutMs: settings.timeoutMs,
      signal,
    });
    if (answer.status === 401 && !retriedAuth) {
      // Revoked or expired early: one fresh token, then the answer stands.
      this.token = undefined;
      return this.send(part, signal, true);
    }
    const result = classifyHttpAnswer(answer);
    if (result.kind !== 'ok')
      this.logger.debug({ connector: this.connector.name, status: answer.status }, 'Logs Ingestion API refused the batch');
    return result;
  }

  /** The cached token, or a new one; a refusal by Entra ID is a credential failure, its absence a retryable one. */
  private async fetchToken(signal: AbortSignal): Promise<Token | Extract<DeliveryResult, { kind: 'auth-failed' | 'retryable' }>> {
    const now = this.clock.now().getTime();
    if (this.token !== undefined && now < this.token.renewAt) return this.token;
    const { authorityHost, tenantId, clientId, clientSecret, scope, timeoutMs } = this.connector.settings;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret.reveal(),
      scope,
    });
    const answer: HttpAnswer = await this.http.post({
      url: `${authorityHost.replace(/\/+$/, '')}/${tenantId}/oauth2/v2.0/token`,
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      timeoutMs,
      signal,
    });
    if (answer.status === 200) {
      const parsed = JSON.parse(answer.text) as { access_token?: string; expires_in?: number | string };
      if (typeof parsed.access_token === 'string') {
        const lifetimeMs = Number(parsed.expires_in ?? 3600) * 1000;
        this.token = { value: parsed.access_token, renewAt: now + Math.max(lifetimeMs - TOKEN_MARGIN_MS, lifetimeMs / 2) };
        return this.token;
      }
    }
    // Entra ID's error document names the problem (AADSTS codes); it never echoes the secret.
    const reason = boundedReason(`Entra ID token request: HTTP ${answer.status}: ${answer.text}`);
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) return { kind: 'auth-failed', reason };
    return { kind: 'retryable', reason, retryAfterMs: answer.retryAfterMs };
  }
}
