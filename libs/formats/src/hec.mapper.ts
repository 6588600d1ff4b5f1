import type { AuditEvent } from '@vigil/events';
import type { ExtraFields } from './extra-fields.util';
import type { FormatMapper, HecOptions } from './format.types';
import { NativeMapper, type NativeDocument } from './native.mapper';
import { microsToEpochSeconds } from './time.util';

export const HEC_DEFAULT_SOURCE = 'vigil';
export const HEC_DEFAULT_SOURCETYPE = '_json';

/** One event object of a Splunk HEC `/services/collector/event` request. */
export interface HecEvent {
  /** Epoch seconds with millisecond precision. */
  time: number;
  host?: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: NativeDocument;
  /** Indexed fields: flat, string values only, as HEC requires. */
  fields: { tenant_id: string; category: string; action: string; outcome: string };
}

/** Maps audit events to Splunk HEC event objects whose `event` is Vigil's native JSON. */
export class HecMapper implements FormatMapper {
  readonly format = 'hec';
  readonly contentType = 'application/json';
  private readonly native: NativeMapper;

  constructor(
    private readonly options: HecOptions = {},
    extra?: ExtraFields,
  ) {
    this.native = new NativeMapper(extra);
  }

  toRecord(event: AuditEvent): HecEvent {
    const host = this.options.host ?? event.service.host ?? undefined;
    return {
      time: microsToEpochSeconds(event.time),
      ...(host !== undefined && { host }),
      source: this.options.source ?? HEC_DEFAULT_SOURCE,
      sourcetype: this.options.sourcetype ?? HEC_DEFAULT_SOURCETYPE,
      ...(this.options.index !== undefined && { index: this.options.index }),
      event: this.native.toRecord(event),
      fields: { tenant_id: event.tenantId, category: event.category, action: event.action, outcome: event.outcome },
    };
  }

  encodeBatch(events: readonly AuditEvent[]): string {
    return encodeHecBatch(events.map((event) => this.toRecord(event)));
  }
}

/** HEC's batch framing: event objects back to back, no array and no separators. */
export function encodeHecBatch(events: readonly HecEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('');
}
