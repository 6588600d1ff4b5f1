import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { EventIssue } from '@vigil/events';

/** One record of a producer's input as an event envelope to validate, or why it cannot be one (path and rule). */
export type IngestItem = { input: Record<string, unknown> } | { issues: EventIssue[] };

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A value as Vigil's attributes take it: string, number, boolean or a list of strings (anything else as JSON text). */
export function attributeValue(value: unknown): string | number | boolean | string[] | undefined {
  if (typeof value === 'string') return boundedText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => boundedText(typeof v === 'string' ? v : JSON.stringify(v)));
  return value === undefined || value === null ? undefined : boundedText(JSON.stringify(value));
}

/** An object's fields as attributes under `prefix.` (nested objects by dotted path, at most `limit` of them). */
export function flattenAttributes(
  value: unknown,
  prefix: string,
  out: Record<string, unknown> = {},
  limit = 90,
  depth = 0,
): Record<string, unknown> {
  if (!isObject(value)) return out;
  // Deeper than this, the rest is kept as JSON text: a hostile nesting cannot exhaust the stack.
  if (depth >= 8) {
    const v = attributeValue(value);
    if (v !== undefined) out[prefix.slice(0, 128)] = v;
    return out;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (Object.keys(out).length >= limit) break;
    const path = `${prefix}.${key}`.slice(0, 128);
    if (isObject(inner) && Object.keys(inner).length > 0) flattenAttributes(inner, path, out, limit, depth + 1);
    else {
      const v = attributeValue(inner);
      if (v !== undefined) out[path] = v;
    }
  }
  return out;
}

/**
 * A UUIDv7 derived from a record's content (its time in the timestamp bits, a SHA-256 of the format and the record in
 * the rest): importing the same file twice, or an exporter retrying, gives each record the same id, which the store
 * and the SIEM sinks deduplicate on.
 */
export function contentId(format: string, record: unknown, micros: number | undefined): string {
  const digest = createHash('sha256').update(format).update('\0').update(JSON.stringify(record)).digest();
  return uuidv7({ msecs: micros !== undefined ? Math.floor(micros / 1000) : Date.now(), random: digest.subarray(0, 16) });
}

/** A string cut to what an attribute string may hold (8 KiB), marked when cut. */
export function boundedText(value: string, max = 8000): string {
  return value.length <= max ? value : `${value.slice(0, max)}…[truncated]`;
}
