import type { AuditEvent } from '@vigil/events';

/** The wire formats a connector can send. */
export const OUTPUT_FORMATS = ['native', 'ecs', 'otlp', 'hec'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Any JSON value, as it appears in a request body. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** How JSON documents are framed in one request body (native and ECS; OTLP and HEC have their own framing). */
export type Framing = 'json-array' | 'ndjson';

/** Strivacity's "native claims": envelope, payload or attribute paths copied into every output under one key. */
export interface ExtraFieldsOptions {
  /** Dotted paths such as `actor.name`, `payload.authMethod`, `attributes.plan` (attribute keys may contain dots). */
  paths: readonly string[];
  /** Key the copied values go under; one lowercase word. Default `extra`. */
  prefix?: string;
}

export interface HecOptions {
  /** HEC `host`; defaults to the event's `service.host` when unset. */
  host?: string;
  /** HEC `source`; default `vigil`. */
  source?: string;
  /** HEC `sourcetype`; default `_json` so Splunk extracts the event's fields at search time. */
  sourcetype?: string;
  /** HEC `index`; omitted when unset so the token's default index applies. */
  index?: string;
}

export interface FormatOptions {
  extraFields?: ExtraFieldsOptions;
  framing?: Framing;
  hec?: HecOptions;
}

/** One output format as the connector runner sees it. */
export interface FormatMapper {
  readonly format: OutputFormat;
  /** Content-Type of a body made by `encodeBatch`. */
  readonly contentType: string;
  /** One event as a self-contained JSON value of the format (for size accounting, dead letters and single resends). */
  toRecord(event: AuditEvent): object;
  /** A batch as one request body. */
  encodeBatch(events: readonly AuditEvent[]): string;
}
