import { isIP } from 'node:net';
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

/** Nulls, non-finite numbers and empty objects are absent; text is sanitised as the store does. */
function normalize(value: unknown): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return sanitizeText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map((v) => normalize(v) ?? null) as Json[];
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value)) {
      const n = normalize(v);
      if (n !== undefined) out[sanitizeText(key)] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return undefined;
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
  const source = event as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...source };
  if (typeof copy['id'] === 'string') copy['id'] = copy['id'].toLowerCase();
  const client = source['client'];
  if (client !== null && typeof client === 'object' && !Array.isArray(client)) {
    const ip = (client as Record<string, unknown>)['ip'];
    if (typeof ip === 'string') {
      const canonical = canonicalIp(ip);
      copy['client'] = { ...client, ip: canonical ?? null };
      const attributes = { ...((source['attributes'] as Record<string, unknown> | null | undefined) ?? {}) };
      if (canonical === undefined && !(INVALID_CLIENT_IP_ATTRIBUTE in attributes)) attributes[INVALID_CLIENT_IP_ATTRIBUTE] = ip;
      copy['attributes'] = attributes;
    }
  }
  return (normalize(copy) as Record<string, Json> | undefined) ?? {};
}

/**
 * RFC 8785 JSON of a normalised value, written by hand: the exact writer, for objects with index-like keys (the same
 * text as `canonicalize(chainForm(event))`). Keys sort by UTF-16 code units (JavaScript's default sort, as RFC 8785
 * says); strings and numbers are written by JSON.stringify, whose forms RFC 8785 adopts.
 */
function canonicalText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(sanitizeText(value));
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(Number(value));
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalText(v) ?? 'null').join(',')}]`;
      const entries: [string, string][] = [];
      for (const [key, v] of Object.entries(value)) {
        const text = canonicalText(v);
        if (text !== undefined) entries.push([sanitizeText(key), text]);
      }
      if (entries.length === 0) return undefined;
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    }
    default:
      return undefined;
  }
}

/** An array index as a property name: JavaScript objects list these first, in numeric order, whatever else. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
/** Text with no NUL and no surrogate at all: nothing to sanitise (a valid pair takes the slower, exact path). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what sanitising replaces
const PLAIN_TEXT = /^[^\u0000\uD800-\uDFFF]*$/;

interface SortedKeys {
  keys: string[];
  /** An index-like key: JSON.stringify would not keep the sorted order, so the event takes the exact writer. */
  hasIndexKey: boolean;
  plain: boolean;
}

/** Sorted keys per key list: decoded events share a handful of shapes, so each is sorted once. */
const sortedKeysCache = new Map<string, SortedKeys>();
const SORTED_KEYS_CACHE_LIMIT = 10_000;

function sortedKeysOf(value: object): SortedKeys {
  const keys = Object.keys(value);
  const signature = keys.join('\u0001');
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

class IndexKeyFound extends Error {}

/** The normalised value with every object's keys inserted in RFC 8785 order, so JSON.stringify writes canonical text. */
function sortedCopy(value: unknown): Json | undefined {
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
        const out: Json[] = new Array<Json>(items.length);
        for (let i = 0; i < items.length; i++) out[i] = sortedCopy(items[i]) ?? (null as unknown as Json);
        return out;
      }
      const { keys, hasIndexKey, plain } = sortedKeysOf(value);
      if (hasIndexKey) throw new IndexKeyFound();
      let out: { [key: string]: Json } | undefined;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const copy = sortedCopy((value as Record<string, unknown>)[key]);
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

/**
 * The event's chain form as RFC 8785 text: what the hash chain hashes (UTF-8). The fast path copies the normalised
 * event with sorted keys and lets V8's JSON.stringify write it (several times faster than the writer above); an
 * object with an index-like key (`"7"`), which JavaScript would list first, takes the exact writer. A unit test holds
 * both to the canonicalize package's output.
 */
export function chainFormText(event: AuditEvent | Record<string, unknown>): string {
  const source = event as Record<string, unknown>;
  const client = source['client'];
  const ip = client !== null && typeof client === 'object' ? (client as Record<string, unknown>)['ip'] : undefined;
  // Only an event whose id or client.ip is spelled otherwise needs the copy chainForm makes.
  const plain =
    (typeof source['id'] !== 'string' || source['id'] === source['id'].toLowerCase()) && (typeof ip !== 'string' || canonicalIp(ip) === ip);
  const form = plain ? source : chainForm(source);
  try {
    return JSON.stringify(sortedCopy(form) ?? {});
  } catch (err) {
    if (!(err instanceof IndexKeyFound)) throw err;
    return canonicalText(form) ?? '{}';
  }
}
