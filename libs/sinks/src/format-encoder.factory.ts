import type { SinkEncoding } from '@vigil/connector';
import type { AuditEvent } from '@vigil/events';
import { mapperFor, type FormatOptions, type OutputFormat } from '@vigil/formats';

/** What a format's encoder is built from: plain data, so a worker thread builds the very same one. */
export interface FormatEncoderOptions {
  format: OutputFormat;
  mapper: FormatOptions;
}

/** An event's record in one of Vigil's output formats, as JSON text (what a sink's `encode` returns). */
export function formatEncoder(options: FormatEncoderOptions): (event: AuditEvent) => string {
  const mapper = mapperFor(options.format, options.mapper);
  return (event) => JSON.stringify(mapper.toRecord(event));
}

/** The SinkEncoding of a sink whose `encode` is `formatEncoder(options)`: worker threads build it from this module. */
export function formatEncoding(format: OutputFormat, mapper: FormatOptions): SinkEncoding {
  return { module: __filename, factory: formatEncoder.name, options: { format, mapper } satisfies FormatEncoderOptions };
}
