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
 *
 * A refusal stops keeping the body but goes on draining the connection (discarding), so the answer reaches the client
 * (with `Connection: close`, see `closesConnection`); the server's request timeout still cuts off an endless sender.
 * A client that goes away mid-body (or is cut off) ends the read with an error, so nothing it reserved stays held.
 */
export function readBody(req: IncomingMessage, maxBytes: number, budget?: BodyBudget): Promise<Buffer> {
  const encoding = header(req, 'content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip')
    return Promise.reject(
      new IngestRefusal(415, 'UNSUPPORTED_ENCODING', `Content-Encoding ${encoding} is not supported; send gzip or none`),
    );
  const tooLarge = () =>
    new IngestRefusal(413, 'BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes (VIGIL_INGEST_MAX_BODY_BYTES)`, CLOSE);
  if (Number(header(req, 'content-length') || 0) > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  const gunzip = encoding === '' || encoding === 'identity' ? undefined : createGunzip();
  const source: NodeJS.ReadableStream = gunzip ?? req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let taken = 0;
    let settled = false;
    const fail = (refusal: IngestRefusal): void => {
      if (settled) return;
      settled = true;
      source.removeListener('data', onData);
      if (gunzip !== undefined) {
        req.unpipe(gunzip);
        gunzip.destroy();
      }
      req.resume(); // drain what the client still sends, so the answer can be written
      budget?.release(taken);
      reject(refusal);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge());
      if (budget !== undefined && !budget.take(chunk.length))
        return fail(
          new IngestRefusal(503, 'BUSY', 'the gateway is reading too many large requests at once; retry shortly', {
            'retry-after': '1',
            ...CLOSE,
          }),
        );
      taken += chunk.length;
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => {
      if (settled) return;
      settled = true;
      // The body stays reserved until the request is answered: the caller releases its length.
      resolve(Buffer.concat(chunks));
    });
    source.once('error', (err: Error) => fail(new IngestRefusal(400, 'BAD_BODY', `the body could not be read: ${err.message}`)));
    req.once('close', () => {
      if (!req.complete && !req.readableEnded)
        fail(new IngestRefusal(400, 'BAD_BODY', 'the client closed the connection before the body ended'));
    });
    if (gunzip !== undefined) req.pipe(gunzip);
  });
}

/** Sent with a refusal given before the body was read to its end: the rest is discarded and the connection closed. */
const CLOSE: Record<string, string> = { connection: 'close' };

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
