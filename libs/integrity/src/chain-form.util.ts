import { isIP } from 'node:net';
import canonicalize from 'canonicalize';
import { jsonMayHoldUnsafeText, sanitizeText, type AuditEvent } from '@vigil/events';

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
  /** Each key as JSON, then `:`, for `writeForm`. */
  members: string[];
  /**
   * `writeForm` can write the list: no key needs sanitising (two keys could then become one, which an object keeps
   * once) and none is `__proto__` (which an object's assignment takes as its prototype, not a member).
   */
  direct: boolean;
}

/**
 * Sorted keys per key list: decoded events share a handful of shapes, so each is sorted once. A list is found by its
 * first key, then compared key by key (property names are interned strings, so mostly by reference): a signature
 * string per object (JSON of its keys, about a third of the form's cost) is not built and hashed for every object of
 * every event. Whole lists are compared, so no two lists can share an entry (a joined signature once let a key
 * holding the separator match another event's list, and that event's fields left the hash).
 */
const sortedKeysCache = new Map<string, { source: string[]; sorted: SortedKeys }[]>();
let sortedKeysCached = 0;
const SORTED_KEYS_CACHE_LIMIT = 10_000;
/** Lists kept per first key: a lookup compares against each, so a producer's many lists of one first key stay cheap. */
const LISTS_PER_FIRST_KEY = 16;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sortedKeysOf(value: object): SortedKeys {
  const keys = Object.keys(value);
  const first = keys.length === 0 ? '' : (keys[0] as string);
  const lists = sortedKeysCache.get(first);
  if (lists !== undefined) {
    for (let i = 0; i < lists.length; i++) {
      const entry = lists[i] as { source: string[]; sorted: SortedKeys };
      if (sameKeys(entry.source, keys)) return entry.sorted;
    }
  }
  const ordered = [...keys].sort();
  const plain = ordered.every((k) => PLAIN_TEXT.test(k));
  const sorted = {
    keys: ordered,
    hasIndexKey: ordered.some((k) => INDEX_KEY.test(k)),
    plain,
    members: ordered.map((k) => `${JSON.stringify(k)}:`),
    direct: plain && !ordered.includes('__proto__'),
  };
  // Bounded: a producer's attribute maps can have any keys. Past the limits a new list is sorted every time.
  if (sortedKeysCached < SORTED_KEYS_CACHE_LIMIT && (lists === undefined || lists.length < LISTS_PER_FIRST_KEY)) {
    sortedKeysCached++;
    if (lists === undefined) sortedKeysCache.set(first, [{ source: keys, sorted }]);
    else lists.push({ source: keys, sorted });
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
      if (!plain) return normalizeSanitisedKeys(value as Record<string, unknown>, seen);
      if (hasIndexKey) seen.indexKey = true;
      let out: { [key: string]: Json } | undefined;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const copy = normalize((value as Record<string, unknown>)[key], seen);
        if (copy === undefined) continue;
        out ??= {};
        out[key] = copy;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * An object with a key to sanitise: its keys sanitised first, as the store sanitises them (in the object's own order,
 * the later of two keys that become one wins), then sorted, so the form is the one of a stored copy, whose keys are
 * sanitised already. Sorted before sanitising, `a\u0000` came before `ab` where the stored copy has `ab` first, and
 * `vigil verify` found the link broken.
 */
function normalizeSanitisedKeys(value: Record<string, unknown>, seen: { indexKey: boolean }): Json | undefined {
  const entries = new Map<string, unknown>();
  for (const key of Object.keys(value)) entries.set(sanitizeText(key), value[key]);
  let out: { [key: string]: Json } | undefined;
  for (const key of [...entries.keys()].sort()) {
    if (INDEX_KEY.test(key)) seen.indexKey = true;
    const copy = normalize(entries.get(key), seen);
    if (copy === undefined) continue;
    out ??= {};
    out[key] = copy;
  }
  return out;
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
  const seen = { indexKey: false };
  return (normalize(respelled(event as Record<string, unknown>), seen) as Record<string, Json> | undefined) ?? {};
}

/**
 * The event's chain form as RFC 8785 text: what the hash chain hashes (UTF-8). Written straight from the event
 * (`writeForm`); an event with text to sanitise or a key list `writeForm` cannot take goes through `normalize`'s copy,
 * written by JSON.stringify, or by the canonicalize package when it holds an index-like key (`"7"`), which JavaScript
 * lists first. Unit tests hold the text to that package's over the normalised event.
 */
export function chainFormText(event: AuditEvent | Record<string, unknown>): string {
  const source = respelled(event as Record<string, unknown>);
  const state = { fallback: false };
  const text = writeForm(source, state) ?? '{}';
  // Nearly every event's text holds nothing to sanitise, and its JSON shows it.
  if (!state.fallback && !jsonMayHoldUnsafeText(text)) return text;
  const seen = { indexKey: false };
  const form = normalize(source, seen) ?? {};
  return seen.indexKey ? (canonicalize(form) ?? '{}') : JSON.stringify(form);
}

/**
 * The chain form's RFC 8785 text written straight from the event, text unsanitised: what JSON.stringify would write
 * of `normalize`'s copy, keys in sorted order whatever they look like, without building the copy (about 40 % of the
 * form's cost). Undefined for a value the form leaves out. Sets `state.fallback` at a key list it cannot write
 * (`SortedKeys.direct`), which the caller then gives to `normalize`.
 */
function writeForm(value: unknown, state: { fallback: boolean }): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // ECMAScript's number to string, which is JSON's and RFC 8785's.
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(Number(value));
    case 'object': {
      if (Array.isArray(value)) {
        const items = value as unknown[];
        let text = '[';
        for (let i = 0; i < items.length; i++) text += `${i === 0 ? '' : ','}${writeForm(items[i], state) ?? 'null'}`;
        return `${text}]`;
      }
      const { keys, members, direct } = sortedKeysOf(value);
      if (!direct) {
        state.fallback = true;
        return undefined;
      }
      let text: string | undefined;
      for (let i = 0; i < keys.length; i++) {
        const member = writeForm((value as Record<string, unknown>)[keys[i] as string], state);
        if (member === undefined) continue;
        text = `${text === undefined ? '{' : `${text},`}${members[i] as string}${member}`;
      }
      return text === undefined ? undefined : `${text}}`;
    }
    default:
      return undefined;
  }
}
