import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'bad-encoding'; detail: string };

/** A failure a double plays instead of handling a request. */
export type InjectedFailure = number | 'busy' | 'reset' | 'timeout';

/** A `node:http` server on 127.0.0.1 and a random port, closed with every open connection (held requests included). */
export class DoubleServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async listen(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<DoubleServer> {
    const server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { text: `double failed: ${String(err)}` });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new DoubleServer(server, `http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Reads the whole body (draining it even when too large, so the client sees the status and not a reset) and
 * removes a gzip Content-Encoding. `maxBytes` applies to the bytes on the wire and to the decompressed body.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) return { ok: false, reason: 'too-large', detail: `Content-Length of ${size} too large (maximum is ${maxBytes})` };
  const raw = Buffer.concat(chunks);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return { ok: true, body: raw };
  if (encoding !== 'gzip') return { ok: false, reason: 'bad-encoding', detail: `unsupported Content-Encoding ${encoding}` };
  try {
    return { ok: true, body: gunzipSync(raw, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const tooLarge = err instanceof RangeError;
    return {
      ok: false,
      reason: tooLarge ? 'too-large' : 'bad-encoding',
      detail: tooLarge ? 'decompressed body too large' : 'invalid gzip body',
    };
  }
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Queue of failures to play on the next requests, in order. */
export class FailureQueue<T = InjectedFailure> {
  private queue: T[] = [];

  add(count: number, failure: T): void {
    for (let i = 0; i < count; i++) this.queue.push(failure);
  }

  take(): T | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue = [];
  }
}

/** Plays `reset` (socket destroyed, no response) and `timeout` (no response until the client gives up or the double closes). */
export function playConnectionFailure(res: ServerResponse, failure: 'reset' | 'timeout'): void {
  if (failure === 'reset') res.socket?.destroy();
}
