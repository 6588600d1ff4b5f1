import type { DeliveryResult } from './sink.types';

/** Anything with a serialised record: its JSON text as UTF-8 bytes. */
export interface Sized {
  bytes: Buffer;
}

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

/** Byte size the record adds to a request (its JSON plus a separator). */
export function recordBytes(record: Sized): number {
  return record.bytes.length + 1;
}

/**
 * A request body of records' JSON, in order: `open`, the records separated by `separator`, `close` (a JSON array is
 * `'['`, `','`, `']'`; HEC's framing is none of them). One copy of the bytes, with no string in between: a batch's
 * records arrive from the encode threads as UTF-8 and go to the socket as they are. Written in one pass into a buffer
 * of the body's size: `Buffer.concat` over a part per record and per separator cost a connector's main thread about
 * 1.5 µs an event.
 */
export function joinRecords(records: readonly Sized[], open = '', separator = '', close = ''): Buffer {
  const head = Buffer.from(open);
  const between = Buffer.from(separator);
  const tail = Buffer.from(close);
  let size = head.length + tail.length + between.length * Math.max(0, records.length - 1);
  for (const record of records) size += record.bytes.length;
  const body = Buffer.allocUnsafe(size);
  body.set(head);
  let at = head.length;
  for (let i = 0; i < records.length; i++) {
    if (i > 0) {
      body.set(between, at);
      at += between.length;
    }
    const bytes = (records[i] as Sized).bytes;
    body.set(bytes, at);
    at += bytes.length;
  }
  body.set(tail, at);
  return body;
}

/** Beyond this many runs a body is copied into one buffer: every chunk of a body is a write to the socket. */
const MAX_BODY_RUNS = 32;

/**
 * A request body of records with no framing between them (HEC's), as the runs of memory they already sit in: the
 * records an encode thread wrote one after another for a partition batch are one view of its buffer, so a request of
 * thousands of records is a few chunks and no copy. Records that are not adjacent in memory start new runs; past
 * MAX_BODY_RUNS of them the body is joined into one buffer as joinRecords does. The chunks hold exactly the records'
 * bytes, in order: a run only grows by a record whose bytes start where the run's end.
 */
export function recordRuns(records: readonly Sized[]): Buffer[] {
  const runs: Buffer[] = [];
  let base: ArrayBufferLike | undefined;
  let start = 0;
  let end = 0;
  for (const { bytes } of records) {
    if (bytes.buffer === base && bytes.byteOffset === end) {
      end += bytes.length;
      continue;
    }
    if (base !== undefined) runs.push(Buffer.from(base, start, end - start));
    base = bytes.buffer;
    start = bytes.byteOffset;
    end = start + bytes.length;
  }
  if (base !== undefined) runs.push(Buffer.from(base, start, end - start));
  return runs.length > MAX_BODY_RUNS ? [Buffer.concat(runs)] : runs;
}

/** Splits a refused batch in two halves, in order, to isolate the records the SIEM will not take. */
export function halve<T>(records: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(records.length / 2);
  return [records.slice(0, middle), records.slice(middle)];
}

/**
 * Cuts records, in order, into requests a SIEM takes: at most `maxEvents` each, and at most `maxBytes` counting each
 * record's recordBytes plus `frameBytes` per request (a JSON array's brackets). A record larger than the limit travels
 * alone (the SIEM then refuses it, and the runner dead-letters it).
 */
export function cutToLimits<T extends Sized>(records: readonly T[], limits: BatchLimits, frameBytes = 0): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = frameBytes;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && (current.length >= limits.maxEvents || bytes + size > limits.maxBytes)) {
      parts.push(current);
      current = [];
      bytes = frameBytes;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * Sends the parts of one batch in order and reports the batch's result. A part refused or failing after earlier parts
 * were accepted reports those as delivered (and names no refused record), so the runner resends only the rest (split,
 * when it was refused): a SIEM never receives a part twice because a later part failed.
 */
export async function deliverInParts<T>(
  parts: readonly (readonly T[])[],
  send: (part: readonly T[]) => Promise<DeliveryResult>,
): Promise<DeliveryResult> {
  let delivered = 0;
  let truncated = 0;
  for (const part of parts) {
    const result = await send(part);
    if (result.kind === 'ok') {
      delivered += part.length;
      truncated += result.truncated ?? 0;
      continue;
    }
    if (delivered === 0 || result.kind === 'auth-failed') return result;
    // Earlier parts landed: the runner settles them and sends only the rest again (split, if it was refused).
    const landed = Array.from({ length: delivered }, (_, i) => i);
    return result.kind === 'rejected' ? { ...result, rejected: [], delivered: landed } : { ...result, delivered: landed };
  }
  return truncated > 0 ? { kind: 'ok', truncated } : { kind: 'ok' };
}
