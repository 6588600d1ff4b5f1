import type { Framing } from './format.types';

export function framingContentType(framing: Framing): string {
  return framing === 'ndjson' ? 'application/x-ndjson' : 'application/json';
}

/** A JSON array, or one document per line with a trailing newline (NDJSON). */
export function encodeDocuments(documents: readonly object[], framing: Framing): string {
  if (framing === 'json-array') return JSON.stringify(documents);
  return documents.map((document) => `${JSON.stringify(document)}\n`).join('');
}
