import { isIP } from 'node:net';
import canonicalize from 'canonicalize';
import { sanitizeText, type AuditEvent } from '@vigil/events';

/** The attribute the store keeps a client.ip in when PostgreSQL's inet cannot hold it (libs/store re-exports it). */
export const INVALID_CLIENT_IP_ATTRIBUTE = 'vigil.invalidClientIp';

/**
 * An IP address in one spelling: IPv4 dotted, IPv6 as the WHATWG URL serializer writes it (RFC 5952: lower case,
 * the longest run of zeros compressed, an embedded IPv4 in hex), the zone id dropped. Undefined when it is none.
 * PostgreSQL's inet writes `::ffff:1.2.3.4` where this writes `::ffff:102:304`: both spellings reach the same form.
 */
export function canonicalIp(ip: string): string | undefined {
  const address = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  return new URL(`http://[${address}]`).hostname.slice(1, -1);
}

type Json = string | number | boolean | Json[] | { [key: string]: Json };

/** An array index as a property name: JavaScript objects list these first, in numeric order, whatever else. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
/** Text with no NUL and no surrogate at all: nothing to sanitise (a valid pair takes sanitizeText, which keeps it). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what sanitising replaces
const PLAIN_TEXT = /^[^\u0000\uD800-\uDFFF]*$/;

interface SortedKeys {
  keys: string[];
  /** An index-like key: JSON.stringify would not keep the sorted order. */
  hasIndexKey: boolean;
  plain: boolean;
}

/** Sorted keys per key list: decoded events share a handful of shapes, so each is sorted once. */
const sortedKeysCache = new Map<string, SortedKeys>();
const SORTED_KEYS_CACHE_LIMIT = 10_000;

function sortedKeysOf(value: object): SortedKeys {
  const keys = Object.keys(value);
  // A key list no other list shares: joined with a separator, a key holding the separator (which a record written
  // straight to Kafka or the table can have) matched another event's list, and that event's fields left the hash.
  const signature = JSON.stringify(keys);
  let sorted = sortedKeysCache.get(signature);
  if (sorted === undefined) {
    const ordered = [...keys].sort();
    sorted = {
      keys: ordered,
      hasIndexKey: ordered.some((k) => INDEX_KEY.test(k)),
      plain: ordered.every((k) => PLAIN_TEXT.test(k)),
    };
    if (sortedKeysCache.size < SORTED_KEYS_CACHE_LIMIT) sortedKeysCache.set(signature, sorted);
  }
  return sorted;
}

/**
 * Nulls, non-finite numbers and empty objects are absent; text is sanitised as the store does; every object's keys
 * are inserted in RFC 8785 order (UTF-16 code units), so JSON.stringify writes canonical text unless `seen.indexKey`
 * was set: an index-like key, which JavaScript lists first whatever the insertion order.
 */
function normalize(value: unknown, seen: { indexKey: boolean }): Json | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return PLAIN_TEXT.test(value) ? value : sanitizeText(value);
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (Array.isArray(value)) {
        const items = value as unknown[];
        const out = new Array<Json | null>(items.length);
        for (let i = 0; i < items.length; i++) out[i] = normalize(items[i], seen) ?? null;
        return out as Json[];
      }
      const { keys, hasIndexKey, plain } = sortedKeysOf(value);
      if (hasIndexKey) seen.indexKey = true;
      let out: { [key: string]: Json } | undefined;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const copy = normalize((value as Record<string, unknown>)[key], seen);
        if (copy === undefined) continue;
        out ??= {};
        out[plain ? key : sanitizeText(key)] = copy;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The event with its id and client.ip spelled one way (the rest is left to `normalize`). */
function respelled(source: Record<string, unknown>): Record<string, unknown> {
  const client = source['client'];
  const ip = client !== null && typeof client === 'object' ? (client as Record<string, unknown>)['ip'] : undefined;
  const id = source['id'];
  const canonical = typeof ip === 'string' ? canonicalIp(ip) : undefined;
  // Most events are spelled so already: no copy.
  if ((typeof id !== 'string' || id === id.toLowerCase()) && (typeof ip !== 'string' || canonical === ip)) return source;
  const copy: Record<string, unknown> = { ...source };
  if (typeof id === 'string') copy['id'] = id.toLowerCase();
  if (typeof ip === 'string') {
    copy['client'] = { ...(client as Record<string, unknown>), ip: canonical ?? null };
    const attributes = { ...((source['attributes'] as Record<string, unknown> | null | undefined) ?? {}) };
    if (canonical === undefined && !(INVALID_CLIENT_IP_ATTRIBUTE in attributes)) attributes[INVALID_CLIENT_IP_ATTRIBUTE] = ip;
    copy['attributes'] = attributes;
  }
  return copy;
}

/**
 * The form of an event the hash chain covers (docs/integrity.md, "The canonical form"): the same for the event a
 * producer published, the row the store holds, the export's line and a SIEM's native copy. Every copy loses or
 * respells a few things on the way, so the form leaves them out or spells them one way: absent, null and empty
 * objects are all absent; text is sanitised (NUL and lone surrogates become U+FFFD, as the SDK and the store do);
 * the id is lower case; client.ip is in `canonicalIp`'s spelling, and an address no inet can hold moves to the
 * `vigil.invalidClientIp` attribute, as the store moves it.
 */
export function chainForm(event: AuditEvent | Record<string, unknown>): Record<string, Json> {
  return (normalize(respelled(event as Record<string, unknown>), { indexKey: false }) as Record<string, Json> | undefined) ?? {};
}

/**
 * The event's chain form as RFC 8785 text: what the hash chain hashes (UTF-8). The form's keys are already in order,
 * so V8's JSON.stringify writes it (about 5 µs an event); only a form holding an index-like key (`"7"`), which
 * JavaScript lists first, is written by the canonicalize package. A unit test holds the text to that package's.
 */
export function chainFormText(event: AuditEvent | Record<string, unknown>): string {
  const seen = { indexKey: false };
  const form = normalize(respelled(event as Record<string, unknown>), seen) ?? {};
  return seen.indexKey ? (canonicalize(form) ?? '{}') : JSON.stringify(form);
}
