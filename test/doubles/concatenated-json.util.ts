export type ConcatenatedParse = { ok: true; values: unknown[] } | { ok: false; index: number; values: unknown[] };

/**
 * Parses JSON objects written back to back (Splunk HEC batches): whitespace between them is allowed, nothing else.
 * On the first object that is not valid JSON, returns its zero-based index and the objects before it.
 */
export function parseConcatenatedJson(text: string): ConcatenatedParse {
  const values: unknown[] = [];
  let pos = skipSpace(text, 0);
  while (pos < text.length) {
    const end = text[pos] === '{' ? objectEnd(text, pos) : -1;
    if (end < 0) return { ok: false, index: values.length, values };
    try {
      values.push(JSON.parse(text.slice(pos, end)));
    } catch {
      return { ok: false, index: values.length, values };
    }
    pos = skipSpace(text, end);
  }
  return { ok: true, values };
}

function skipSpace(text: string, from: number): number {
  let pos = from;
  while (pos < text.length && /\s/.test(text.charAt(pos))) pos++;
  return pos;
}

/** Index just after the `}` that closes the object opened at `start`, or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let pos = start; pos < text.length; pos++) {
    const ch = text.charAt(pos);
    if (inString) {
      if (ch === '\\') pos++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return pos + 1;
    }
  }
  return -1;
}
