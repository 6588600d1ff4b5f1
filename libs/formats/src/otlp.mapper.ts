import type { AuditEvent } from '@vigil/events';
import { pickExtraFields, type ExtraFields } from './extra-fields.util';
import type { FormatMapper, JsonValue } from './format.types';
import { presentFields, toJsonValue } from './json.util';
import { keyValue } from './otlp-value.util';
import type { ExportLogsServiceRequest, OtlpKeyValue, OtlpLogRecord, OtlpResourceLogs } from './otlp.types';
import { severityLevel } from './severity.util';
import { microsToUnixNanos } from './time.util';

export const OTLP_SCOPE_NAME = 'vigil.audit';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/**
 * Maps audit events to an OTLP/HTTP JSON ExportLogsServiceRequest with the attribute names of Thrive's records:
 * one resourceLogs per (service.name, service.version, host.name, tenant.id), in first-seen order.
 */
export class OtlpMapper implements FormatMapper {
  readonly format = 'otlp';
  readonly contentType = 'application/json';

  constructor(private readonly extra?: ExtraFields) {}

  toRecord(event: AuditEvent): ExportLogsServiceRequest {
    return this.toRequest([event]);
  }

  encodeBatch(events: readonly AuditEvent[]): string {
    return JSON.stringify(this.toRequest(events));
  }

  toRequest(events: readonly AuditEvent[]): ExportLogsServiceRequest {
    const byResource = new Map<string, OtlpResourceLogs>();
    for (const event of events) {
      const resource = resourceAttributes(event);
      const key = JSON.stringify(resource);
      let entry = byResource.get(key);
      if (entry === undefined) {
        entry = { resource: { attributes: resource }, scopeLogs: [{ scope: { name: OTLP_SCOPE_NAME }, logRecords: [] }] };
        byResource.set(key, entry);
      }
      entry.scopeLogs[0]?.logRecords.push(this.toLogRecord(event));
    }
    return { resourceLogs: [...byResource.values()] };
  }

  toLogRecord(event: AuditEvent): OtlpLogRecord {
    const severity = severityLevel(event.severity);
    const traceId = event.traceId?.toLowerCase();
    const spanId = event.spanId?.toLowerCase();
    const validTrace = traceId !== undefined && TRACE_ID.test(traceId) && !/^0+$/.test(traceId);
    const validSpan = spanId !== undefined && SPAN_ID.test(spanId) && !/^0+$/.test(spanId);
    const attributes = this.attributes(event);
    // A malformed id would make a collector reject the whole request; keep it as an attribute instead.
    if (event.traceId !== null && !validTrace) attributes.push(keyValue('vigil.trace_id', event.traceId));
    if (event.spanId !== null && !validSpan) attributes.push(keyValue('vigil.span_id', event.spanId));
    return {
      timeUnixNano: microsToUnixNanos(event.time),
      observedTimeUnixNano: microsToUnixNanos(event.observedTime),
      severityNumber: severity.number,
      severityText: severity.text,
      body: { stringValue: event.description ?? event.action },
      attributes,
      ...(validTrace && { traceId }),
      ...(validSpan && { spanId }),
    };
  }

  private attributes(event: AuditEvent): OtlpKeyValue[] {
    const { http, client, actor } = event;
    const pairs: [string, JsonValue | undefined][] = [
      ['event.name', event.action],
      ['event.id', event.id],
      ['event.category', event.category],
      ['event.outcome', event.outcome.toLowerCase()],
      ['http.request.method', http?.method],
      ['http.url', http?.url],
      ['http.operation', http?.operation],
      ['http.response.status_code', http?.statusCode],
      ['client.address', client?.ip],
      ['user.id', actor.id],
      ['user.name', actor.name],
      ['user.roles', actor.roles],
      ['user_agent.original', client?.userAgent],
      ...prefixed('payload.', presentFields(event.payload)),
      ['correlation.id', event.correlationId],
      ['vigil.actor.type', actor.type],
      ['vigil.targets', toJsonValue(event.targets)],
      ...prefixed('vigil.attributes.', presentFields(event.attributes)),
      ...(this.extra === undefined ? [] : prefixed(`${this.extra.prefix}.`, pickExtraFields(event, this.extra))),
    ];
    return pairs.filter((pair): pair is [string, JsonValue] => pair[1] !== undefined && pair[1] !== null).map(([k, v]) => keyValue(k, v));
  }
}

function resourceAttributes(event: AuditEvent): OtlpKeyValue[] {
  const { service } = event;
  return [
    keyValue('service.name', service.name),
    ...(service.version === null ? [] : [keyValue('service.version', service.version)]),
    ...(service.host === null ? [] : [keyValue('host.name', service.host)]),
    keyValue('tenant.id', event.tenantId),
  ];
}

function prefixed(prefix: string, fields: Record<string, JsonValue>): [string, JsonValue][] {
  return Object.entries(fields).map(([key, value]) => [`${prefix}${key}`, value]);
}
