import type { Severity, AuditEvent, EventCodec } from '@vigil/events';
import { decodeEach, type DecodeResult, type MessageDecoder } from '@vigil/kafka';
import { eventFilter } from './event-filter.util';
import type { EventRef } from './sink.types';

/**
 * An event as a connector's decoder hands it over: where it routes (EventRef) and its record in the connector's
 * format, already serialised. Decoding, filtering and mapping happen together, on this thread (`InlinePreparer`) or
 * in worker threads (`EncodePool`), so the delivery path never needs the decoded event itself.
 */
export interface PreparedEvent extends EventRef {
  /** The record as JSON text in UTF-8; undefined when the connector's filters skip the event or it could not be mapped. */
  record: Buffer | undefined;
  /** Why the event could not be mapped to the connector's format: it is dead-lettered as `unmappable`. */
  unmappable?: string;
  /** The decoded event, where it was decoded on this thread (a sink without a worker encoding needs it). */
  whole?: AuditEvent;
}

/** Which events a connector sends, as plain data (it crosses to worker threads). */
export interface ConnectorFilterSpec {
  actions: { include: readonly string[]; exclude: readonly string[] };
  minSeverity: Severity;
  tenants: 'all' | readonly string[];
  /** Events whose time (epoch microseconds) is before this are skipped (a replay's start). */
  fromTimeMicros?: number | undefined;
}

/** The connector's filter: its tenants, actions and minimum severity, and a replay's time floor. */
export function connectorFilter(spec: ConnectorFilterSpec): (event: AuditEvent) => boolean {
  const filtered = eventFilter({ include: spec.actions.include, exclude: spec.actions.exclude, minSeverity: spec.minSeverity });
  const tenants = spec.tenants === 'all' ? undefined : new Set(spec.tenants);
  const selected = tenants === undefined ? filtered : (event: AuditEvent) => tenants.has(event.tenantId) && filtered(event);
  const floor = spec.fromTimeMicros;
  return floor === undefined ? selected : (event) => event.time >= floor && selected(event);
}

/** An event filtered and mapped, its record still a string (the encode threads write the records as UTF-8 together). */
export interface PreparedText extends EventRef {
  json: string | undefined;
  unmappable?: string;
}

/** Filters and maps one decoded event: skipped (no json), unmappable (a reason), or its record's JSON text. */
export function eventPreparer(
  accepts: (event: AuditEvent) => boolean,
  encode: (event: AuditEvent) => string,
  format: string,
): (event: AuditEvent) => PreparedText {
  return (event) => {
    const { id, tenantId, time } = event;
    if (!accepts(event)) return { id, tenantId, time, json: undefined };
    try {
      return { id, tenantId, time, json: encode(event) };
    } catch (err) {
      return { id, tenantId, time, json: undefined, unmappable: `cannot map to ${format}: ${(err as Error).message}` };
    }
  };
}

/** Decodes, filters and maps on this thread (no worker threads configured, or a sink that needs whole events). */
export class InlinePreparer implements MessageDecoder<PreparedEvent> {
  private readonly decoder: MessageDecoder<AuditEvent>;
  private readonly prepare: (event: AuditEvent) => PreparedText;

  constructor(codec: Pick<EventCodec, 'decode'>, filter: ConnectorFilterSpec, encode: (event: AuditEvent) => string, format: string) {
    this.decoder = decodeEach(codec);
    this.prepare = eventPreparer(connectorFilter(filter), encode, format);
  }

  async decodeAll(values: readonly (Buffer | null)[], topic: string): Promise<DecodeResult<PreparedEvent>[]> {
    return (await this.decoder.decodeAll(values, topic)).map((result) => {
      if (!('event' in result)) return result;
      const { json, ...prepared } = this.prepare(result.event);
      if (json === undefined && prepared.unmappable === undefined) return { skipped: true };
      return { event: { ...prepared, record: json === undefined ? undefined : Buffer.from(json), whole: result.event } };
    });
  }
}
