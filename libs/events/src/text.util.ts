/** An unpaired UTF-16 surrogate: not a character, and not encodable in UTF-8 (it would become U+FFFD on the wire anyway). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** NUL: PostgreSQL's text and jsonb cannot hold it, so an event carrying one could never be stored. */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const NUL = /\u0000/g;

/** Bytes of the string in UTF-8: what Kafka, PostgreSQL and its index rows count. */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Whether the string holds a NUL or an unpaired surrogate (what `sanitizeText` replaces). */
export function hasUnstorableCharacters(value: string): boolean {
  NUL.lastIndex = 0;
  LONE_SURROGATE.lastIndex = 0;
  return NUL.test(value) || LONE_SURROGATE.test(value);
}

/**
 * The one text rule of every producer path (SDK, outbox, CLI): NUL characters and unpaired surrogates become
 * U+FFFD, the replacement character, so the text fits PostgreSQL and UTF-8 and a reader sees where it was damaged.
 */
export function sanitizeText(value: string): string {
  return hasUnstorableCharacters(value) ? value.replace(NUL, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD') : value;
}

/** `sanitizeText` on every string of a JSON-like value (object keys included), leaving other values as they are. */
export function sanitizeStrings<T>(value: T): T {
  if (typeof value === 'string') return sanitizeText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => sanitizeStrings(item)) as T;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[sanitizeText(key)] = sanitizeStrings(item);
    return out as T;
  }
  return value;
}

/** The longest prefix of `value` of at most `maxBytes` bytes of UTF-8, never cutting a character in two. */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes || utf8Bytes(value) <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = utf8Bytes(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}
