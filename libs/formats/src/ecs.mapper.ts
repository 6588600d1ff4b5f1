import { isIP } from 'node:net';
import { CATALOG, CATEGORY_INFO, type AuditEvent, type Category, type Http, type Target } from '@vigil/events';
import { pickExtraFields, type ExtraFields } from './extra-fields.util';
import type { FormatMapper, Framing, JsonObject } from './format.types';
import { encodeDocuments, framingContentType } from './framing.util';
import { presentFields } from './json.util';
import { severityLevel } from './severity.util';
import { microsToIso } from './time.util';

export const ECS_VERSION = '8.11.0';
export const ECS_DATASET = 'vigil.audit';

export interface EcsUrl {
  full?: string;
  original?: string;
  domain?: string;
  path?: string;
  query?: string;
}

/** An ECS 8.x document; fields without a value are left out rather than sent as null. */
export interface EcsDocument {
  '@timestamp': string;
  ecs: { version: string };
  message: string;
  event: {
    id: string;
    kind: 'event';
    category: string[];
    type: string[];
    action: string;
    outcome: 'success' | 'failure' | 'unknown';
    severity: number;
    created: string;
    dataset: string;
    provider: string;
  };
  user: { id: string; name?: string; roles: string[]; target?: { id: string; name?: string } };
  source?: { ip?: string; address?: string };
  user_agent?: { original: string };
  http?: { request?: { method: string }; response?: { status_code: number } };
  url?: EcsUrl;
  service: { name: string; version?: string };
  host?: { hostname: string; name: string };
  organization: { id: string };
  trace?: { id: string };
  span?: { id: string };
  /** ECS's pivot fields: every user (actor and user targets) and address the event names. */
  related: { user: string[]; ip?: string[] };
  vigil: {
    category: Category;
    severity: string;
    actor: { type: string };
    targets: Target[];
    correlation_id?: string;
    http?: { operation: string };
    payload: JsonObject;
    attributes: JsonObject;
  };
  /** Extra fields, under the configured prefix. */
  [extra: string]: unknown;
}

const ecsByAction = new Map(CATALOG.map((entry) => [entry.action as string, entry.ecs]));
const ecsByCategory = new Map(CATEGORY_INFO.map((info) => [info.name, info.ecsCategory]));

/** Maps audit events to ECS documents (Closer's shape), with `event.category`/`event.type` from the catalog. */
export class EcsMapper implements FormatMapper {
  readonly format = 'ecs';
  readonly contentType: string;

  constructor(
    private readonly extra?: ExtraFields,
    private readonly framing: Framing = 'json-array',
  ) {
    this.contentType = framingContentType(framing);
  }

  toRecord(event: AuditEvent): EcsDocument {
    const document: EcsDocument = {
      '@timestamp': microsToIso(event.time),
      ecs: { version: ECS_VERSION },
      message: event.description ?? event.action,
      event: this.eventFields(event),
      user: this.userFields(event),
      ...this.requestFields(event),
      service: { name: event.service.name, ...(event.service.version !== null && { version: event.service.version }) },
      ...(event.service.host !== null && { host: { hostname: event.service.host, name: event.service.host } }),
      organization: { id: event.tenantId },
      ...(event.traceId !== null && { trace: { id: event.traceId } }),
      ...(event.spanId !== null && { span: { id: event.spanId } }),
      related: relatedFields(event),
      vigil: {
        category: event.category,
        severity: event.severity,
        actor: { type: event.actor.type },
        targets: event.targets,
        ...(event.correlationId !== null && { correlation_id: event.correlationId }),
        ...(event.http?.operation != null && { http: { operation: event.http.operation } }),
        payload: presentFields(event.payload),
        attributes: presentFields(event.attributes),
      },
    };
    if (this.extra !== undefined) document[this.extra.prefix] = pickExtraFields(event, this.extra);
    return document;
  }

  encodeBatch(events: readonly AuditEvent[]): string {
    return encodeDocuments(
      events.map((event) => this.toRecord(event)),
      this.framing,
    );
  }

  private eventFields(event: AuditEvent): EcsDocument['event'] {
    // An action missing from the catalog still gets its category's ECS categories, typed as plain info.
    const ecs = ecsByAction.get(event.action) ?? { category: ecsByCategory.get(event.category) ?? [], type: ['info'] };
    return {
      id: event.id,
      kind: 'event',
      category: [...ecs.category],
      type: [...ecs.type],
      action: event.action,
      outcome: event.outcome === 'SUCCESS' ? 'success' : event.outcome === 'FAILURE' ? 'failure' : 'unknown',
      severity: severityLevel(event.severity).number,
      created: microsToIso(event.observedTime),
      dataset: ECS_DATASET,
      provider: event.service.name,
    };
  }

  private userFields(event: AuditEvent): EcsDocument['user'] {
    const target = event.targets.find((t) => t.type === 'user');
    return {
      id: event.actor.id,
      ...(event.actor.name !== null && { name: event.actor.name }),
      roles: event.actor.roles,
      ...(target !== undefined && { target: { id: target.id, ...(target.name !== null && { name: target.name }) } }),
    };
  }

  private requestFields(event: AuditEvent): Pick<EcsDocument, 'source' | 'user_agent' | 'http' | 'url'> {
    const { client, http } = event;
    const ip = client?.ip ?? null;
    return {
      // source.ip is an `ip` field: Elasticsearch rejects the whole document for a value that is not an address.
      ...(ip !== null && { source: isIP(ip) !== 0 ? { ip } : { address: ip } }),
      ...(client?.userAgent != null && { user_agent: { original: client.userAgent } }),
      ...this.httpFields(http),
      ...(http?.url != null && { url: urlFields(http.url) }),
    };
  }

  private httpFields(http: Http | null): Pick<EcsDocument, 'http'> {
    if (http === null || (http.method === null && http.statusCode === null)) return {};
    return {
      http: {
        ...(http.method !== null && { request: { method: http.method } }),
        ...(http.statusCode !== null && { response: { status_code: http.statusCode } }),
      },
    };
  }
}

function relatedFields(event: AuditEvent): EcsDocument['related'] {
  const users = [event.actor.id, ...event.targets.filter((t) => t.type === 'user').map((t) => t.id)];
  const ip = event.client?.ip ?? null;
  return { user: [...new Set(users)], ...(ip !== null && isIP(ip) !== 0 && { ip: [ip] }) };
}

/** `url.full` for an absolute URL, `url.original` for a path; `url.path`/`url.query` for both. */
export function urlFields(raw: string): EcsUrl {
  const absolute = URL.canParse(raw);
  const parsed = absolute
    ? new URL(raw)
    : URL.canParse(raw, 'http://relative.invalid')
      ? new URL(raw, 'http://relative.invalid')
      : undefined;
  const location = absolute ? { full: raw } : { original: raw };
  if (parsed === undefined) return location;
  const query = parsed.search.startsWith('?') ? parsed.search.slice(1) : '';
  return {
    ...location,
    ...(absolute && parsed.hostname !== '' && { domain: parsed.hostname }),
    path: parsed.pathname,
    ...(query !== '' && { query }),
  };
}
