import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';

/**
 * Where strict JSON breaks in `text` and why, as `line L, column C: <problem> near "<snippet>"` (lines and columns
 * from 1, as an editor shows them), or undefined when it does not break. jsonc-parser (VS Code's JSON scanner) in
 * strict mode finds the place: V8's own message names no position for most mistakes.
 */
export function jsonErrorAt(text: string, startLine = 1): string | undefined {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) return undefined;
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length + startLine - 1;
  const column = first.offset - before.lastIndexOf('\n');
  const near = text
    .slice(Math.max(0, first.offset - 20), first.offset + 20)
    .replace(/\s+/g, ' ')
    .trim();
  const problem = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `line ${line}, column ${column}: ${problem} near "${near}"`;
}

/** One record of an import: its value, or why it is not JSON; `line` is where it starts in the input. */
export type JsonRecord = { line: number; value: unknown } | { line: number; error: string };

/**
 * The records of an import body, in the shapes producers export: a JSON array, NDJSON, or JSON objects one after the
 * other (LogicHub's documentation writes them so). Each top-level object is cut out by its braces (strings and escapes
 * respected) and parsed on its own, so one broken record (an unquoted value, a missing comma) is reported with its
 * line and column and the others still go through. A key repeated in one object keeps its last value, as JSON.parse
 * does. Text outside any object is an error of its own.
 */
export function splitJsonRecords(text: string): JsonRecord[] {
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const array = JSON.parse(body) as unknown;
      if (Array.isArray(array)) return (array as unknown[]).map((value, i) => ({ line: i + 1, value }));
    } catch {
      return [{ line: 1, error: `not valid JSON: ${jsonErrorAt(body) ?? 'cannot be parsed'}` }];
    }
  }
  const records: JsonRecord[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  let line = 1;
  let startLine = 1;
  /** A run of text outside any object: reported once, from its first line to its last. */
  let stray: { from: number; to: number } | undefined;
  const closeStray = (): void => {
    if (stray === undefined) return;
    const where = stray.from === stray.to ? `line ${stray.from}` : `lines ${stray.from}-${stray.to}`;
    records.push({ line: stray.from, error: `${where}: text outside any JSON object (each record is one {...})` });
    stray = undefined;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"' || c === '\n') inString = false; // an unterminated string ends at its line
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{') {
      if (depth === 0) {
        closeStray();
        start = i;
        startLine = line;
      }
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) records.push(parseRecord(body.slice(start, i + 1), startLine));
    } else if (depth === 0 && !/\s|,/.test(c ?? '')) {
      if (stray === undefined) stray = { from: line, to: line };
      else stray.to = line;
    }
  }
  closeStray();
  if (depth > 0) records.push({ line: startLine, error: `line ${startLine}: the record starting here never closes (a missing "}")` });
  return records;
}

function parseRecord(text: string, line: number): JsonRecord {
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { line, error: `not valid JSON: ${jsonErrorAt(text, line) ?? (err as Error).message}` };
  }
}
