/**
 * The one rule for text in an event, applied by the SDK's normaliser (and so by `vigil publish` and the outbox's
 * `record()`), and checked by the validator for anything that arrives already complete.
 *
 * NUL and unpaired UTF-16 surrogates are replaced with U+FFFD rather than refused: PostgreSQL's text and jsonb
 * cannot hold NUL (`record()` failed the caller's own transaction on it), and a lone surrogate has no UTF-8 form,
 * so UTF-8 encoders (Avro, pg) already turn it into U+FFFD silently. Replacing keeps an audit record of something
 * that happened (a user agent with a NUL is still a login) and makes the stored text what the producer's
 * validation saw; refusing would lose the event for a byte nobody can read anyway.
 */
export const REPLACEMENT_CHARACTER = '\uFFFD';

// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- NUL is exactly what is replaced
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSAFE_TEXT_TEST = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Any NUL or surrogate at all: a plain character class, far cheaper than the lookarounds, rules out nearly every string.
// eslint-disable-next-line no-control-regex -- as above
const MAYBE_UNSAFE = /[\u0000\uD800-\uDFFF]/;

/** True when the text holds no NUL and no unpaired surrogate (what PostgreSQL and UTF-8 can keep as is). */
export function isStorableText(value: string): boolean {
  return !MAYBE_UNSAFE.test(value) || !UNSAFE_TEXT_TEST.test(value);
}

/**
 * JSON.stringify writes a NUL as `\u0000` and an unpaired surrogate as `\udXXX` (well-formed JSON.stringify, ES2019),
 * and a valid pair as it is: so JSON text without either escape holds nothing `sanitizeText` would replace. One test
 * of the text is cheaper than one of every string in it; a false alarm (a backslash the text really holds, followed
 * by such letters) only costs the caller its sanitising pass.
 */
const UNSAFE_TEXT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** Whether JSON text written by JSON.stringify may hold text to sanitise (see UNSAFE_TEXT_ESCAPE). */
export function jsonMayHoldUnsafeText(json: string): boolean {
  return UNSAFE_TEXT_ESCAPE.test(json);
}

/** The text with every NUL and unpaired surrogate replaced by U+FFFD. */
export function sanitizeText(value: string): string {
  return isStorableText(value) ? value : value.replace(UNSAFE_TEXT, REPLACEMENT_CHARACTER);
}

/**
 * Every string value inside `value` (objects and arrays, however deep) sanitised; keys are left alone (the
 * validator's key rules refuse anything but plain names). Returns the same object when nothing needed a change.
 */
export function sanitizeStrings<T>(value: T): T {
  return sanitizeValue(value) as T;
}

function sanitizeValue(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeText(value);
  if (Array.isArray(value)) {
    // Copied only from the first item that changes: most events need no change, and then nothing is allocated.
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const clean = sanitizeValue(item);
      if (clean !== item) {
        out ??= value.slice();
        out[i] = clean;
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const k in record) {
      const item = record[k];
      const clean = sanitizeValue(item);
      if (clean !== item) {
        out ??= { ...record };
        out[k] = clean;
      }
    }
    return out ?? value;
  }
  return value;
}

/** How many bytes the text takes in UTF-8: what PostgreSQL's indexes and Kafka count. */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Whether the text takes at most `maxBytes` in UTF-8; a short string is not counted (at most 3 bytes per UTF-16 unit). */
export function fitsUtf8(value: string, maxBytes: number): boolean {
  return value.length * 3 <= maxBytes || utf8Length(value) <= maxBytes;
}

/** The longest prefix of the text that fits `maxBytes` of UTF-8, never cutting a character in two. */
export function clipUtf8(value: string, maxBytes: number): string {
  if (fitsUtf8(value, maxBytes)) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}
