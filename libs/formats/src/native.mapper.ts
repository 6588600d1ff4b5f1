import type { Actor, AttributeValue, AuditEvent, Category, Client, Http, Outcome, Service, Severity, Target } from '@vigil/events';
import { pickExtraFields, type ExtraFields } from './extra-fields.util';
import type { FormatMapper, Framing } from './format.types';
import { encodeDocuments, framingContentType } from './framing.util';
import { microsToIso } from './time.util';

/** Vigil's own JSON: every envelope field, ISO-8601 timestamps with microseconds, attributes as plain values. */
export interface NativeDocument {
  id: string;
  time: string;
  observedTime: string;
  tenantId: string;
  category: Category;
  action: string;
  outcome: Outcome;
  severity: Severity;
  actor: Actor;
  client: Client | null;
  targets: Target[];
  http: Http | null;
  service: Service;
  correlationId: string | null;
  traceId: string | null;
  spanId: string | null;
  description: string | null;
  payload: object | null;
  attributes: Record<string, AttributeValue>;
  /** Extra fields, under the configured prefix. */
  [extra: string]: unknown;
}

/** Maps audit events to Vigil's native JSON (also the `event` of a Splunk HEC event). */
export class NativeMapper implements FormatMapper {
  readonly format = 'native';
  readonly contentType: string;

  constructor(
    private readonly extra?: ExtraFields,
    private readonly framing: Framing = 'json-array',
  ) {
    this.contentType = framingContentType(framing);
  }

  toRecord(event: AuditEvent): NativeDocument {
    const document: NativeDocument = {
      id: event.id,
      time: microsToIso(event.time),
      observedTime: microsToIso(event.observedTime),
      tenantId: event.tenantId,
      category: event.category,
      action: event.action,
      outcome: event.outcome,
      severity: event.severity,
      actor: event.actor,
      client: event.client,
      targets: event.targets,
      http: event.http,
      service: event.service,
      correlationId: event.correlationId,
      traceId: event.traceId,
      spanId: event.spanId,
      description: event.description,
      payload: event.payload,
      attributes: event.attributes,
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
}
