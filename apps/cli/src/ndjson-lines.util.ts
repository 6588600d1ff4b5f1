import { createReadStream } from 'node:fs';

export type NdjsonLine = { line: number; text: string } | { line: number; error: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const BOM = '\uFEFF';

/**
 * The lines of an NDJSON file as text, by number (1-based), each decoded on its own: a line that is not valid UTF-8
 * or is longer than `maxBytes` is an error for that line only, and the others go on. CRLF endings and a byte-order
 * mark at the start of the file are accepted; blank lines are skipped.
 */
export async function* readNdjsonLines(file: string, maxBytes: number): AsyncGenerator<NdjsonLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const finish = (): NdjsonLine | undefined => {
    line++;
    const tooLong = pendingBytes > maxBytes;
    const bytes = tooLong ? Buffer.alloc(0) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (tooLong) return { line, error: `line longer than ${maxBytes} bytes` };
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    let text: string;
    try {
      text = UTF8.decode(bytes.subarray(0, end));
    } catch {
      return { line, error: 'not valid UTF-8' };
    }
    if (line === 1 && text.startsWith(BOM)) text = text.slice(1);
    return text.trim() === '' ? undefined : { line, text };
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (pendingBytes <= maxBytes) pending.push(chunk.subarray(start, nl));
      pendingBytes += nl - start;
      const result = finish();
      if (result !== undefined) yield result;
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (pendingBytes <= maxBytes) pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes > 0) {
    const result = finish();
    if (result !== undefined) yield result;
  }
}
