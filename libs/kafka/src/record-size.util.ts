import type { OutgoingMessage } from './kafka.producer';

/**
 * The fixed part of a Kafka record batch (v2, KIP-98): base offset 8, length 4, leader epoch 4, magic 1, CRC 4,
 * attributes 2, last offset delta 4, first and max timestamps 16, producer id 8, epoch 2, base sequence 4, count 4.
 * The broker compares this plus the records with message.max.bytes (the topic's max.message.bytes).
 */
export const RECORD_BATCH_OVERHEAD = 61;

// Within one produce request: a timestamp delta under 2^33 ms and an offset delta under 2^20 records.
const TIMESTAMP_DELTA_MAX_BYTES = 5;
const OFFSET_DELTA_MAX_BYTES = 3;

/** Bytes of a zigzag varint (the encoding of every length and count inside a v2 record). */
export function varintBytes(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    bytes++;
  }
  return bytes;
}

function fieldBytes(field: string | Buffer | null | undefined): number {
  if (field === null || field === undefined) return varintBytes(-1);
  const length = typeof field === 'string' ? Buffer.byteLength(field) : field.length;
  return varintBytes(length) + length;
}

/**
 * The bytes one message takes inside an uncompressed record batch, as the broker counts them: its length prefix,
 * attributes, timestamp and offset deltas (at their widest within a request), key, value and headers. For small
 * events the framing, key and headers are a third of the total, which a bound on the values alone ignored.
 */
export function recordBytes(message: OutgoingMessage): number {
  let body = 1 + TIMESTAMP_DELTA_MAX_BYTES + OFFSET_DELTA_MAX_BYTES + fieldBytes(message.key) + fieldBytes(message.value);
  const headers = Object.entries(message.headers ?? {});
  body += varintBytes(headers.length);
  for (const [name, value] of headers) body += fieldBytes(name) + fieldBytes(value);
  return varintBytes(body) + body;
}
