import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { jsonErrorAt } from '@vigil/ingest';

/** An answer the gateway gives instead of processing a request (status, a stable code, a sentence). */
export class IngestRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The bytes every request being read holds at once, across the gateway: many large bodies arriving together are
 * answered 503 (retry shortly) before they exhaust memory, instead of each being within its own bound.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Reserves `bytes`; false when the gateway holds too much already. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * The request body, gunzipped when `Content-Encoding: gzip`, refused with 413 as soon as it (or what it inflates to)
 * passes `maxBytes`: a large or compressed-bomb body is never held whole. Anything but gzip or identity is 415.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, budget?: BodyBudget): Promise<Buffer> {
  const encoding = header(req, 'content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip')
    throw new IngestRefusal(415, 'UNSUPPORTED_ENCODING', `Content-Encoding ${encoding} is not supported; send gzip or none`);
  const declared = Number(header(req, 'content-length') || 0);
  const tooLarge = () =>
    new IngestRefusal(413, 'BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes (VIGIL_INGEST_MAX_BODY_BYTES)`);
  if (declared > maxBytes) {
    req.resume();
    throw tooLarge();
  }
  const source: AsyncIterable<Buffer> = encoding === '' || encoding === 'identity' ? req : req.pipe(createGunzip());
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        throw tooLarge();
      }
      if (budget !== undefined && !budget.take(chunk.length)) {
        size -= chunk.length;
        req.destroy();
        throw new IngestRefusal(503, 'BUSY', 'the gateway is reading too many large requests at once; retry shortly', {
          'retry-after': '1',
        });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    budget?.release(size);
    if (err instanceof IngestRefusal) throw err;
    throw new IngestRefusal(400, 'BAD_BODY', `the body could not be read: ${(err as Error).message}`);
  }
  // The body stays reserved until the request is answered: the caller releases its length (parsed and published by then).
  return Buffer.concat(chunks);
}

/** The media type of a request, without parameters, lowercased. */
export function mediaType(req: IncomingMessage): string {
  return header(req, 'content-type').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** JSON text to a value, or a 400 that says where the text broke (line and column, as an editor shows them). */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new IngestRefusal(400, 'MALFORMED_JSON', `the body is not valid JSON: ${jsonErrorAt(text) ?? (err as Error).message}`);
  }
}
