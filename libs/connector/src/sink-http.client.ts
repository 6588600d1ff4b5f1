import type { LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { parseRetryAfter } from './backoff.util';
import { DEFAULT_GZIP_LEVEL } from './connector-config.schema';
import type { DeliveryResult } from './sink.types';

const gzipAsync = promisify(gzip);

/** Bytes of a SIEM's answer that are read: plenty for any error document; the rest is discarded unread. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Who Vigil says it is to a SIEM (User-Agent), unless a sink or a connector's headers say otherwise. */
export const USER_AGENT = 'vigil-connector';

/** Characters of a SIEM's error text kept in a reason (logs, status, `/health`, dead-letter headers). */
export const MAX_REASON_CHARS = 512;

export interface HttpAnswer {
  status: number;
  /** The body as text, at most MAX_RESPONSE_BYTES of it; empty for a redirect. */
  text: string;
  retryAfterMs: number | undefined;
  /** For a 3xx: the origin its Location pointed to (never followed). */
  redirectedTo?: string | undefined;
}

export interface HttpPost {
  url: string;
  /**
   * Text is sent as UTF-8; a batch of records is already bytes (`joinRecords`), or the chunks of a body sent one after
   * another with their total as content-length (`recordRuns`).
   */
  body: string | Buffer | readonly Buffer[];
  headers: Record<string, string>;
  gzip?: boolean;
  /** zlib's level when `gzip` (a block's `gzipLevel`): 1 fastest to 9 smallest; DEFAULT_GZIP_LEVEL unless given. */
  gzipLevel?: number;
  timeoutMs: number;
  signal: AbortSignal;
  /**
   * How much of the answer to read (default MAX_RESPONSE_BYTES). Only for an API whose answer grows with the request
   * and must be read whole, such as `_bulk`'s item by item answer; still a bound, never unlimited.
   */
  maxResponseBytes?: number;
}

/**
 * The HTTP client sinks send through (undici's request, keep-alive): one place for timeouts, gzip and aborts, and for
 * what a SIEM (or whoever answers at its URL) may do to us: redirects are never followed (following one would
 * re-post the batch, with its secret headers, to another origin) and answers are read up to MAX_RESPONSE_BYTES.
 */
export class SinkHttpClient {
  private readonly agent: Agent | undefined;

  /**
   * `lookup` replaces DNS resolution of every connection this client opens: the streams app passes one that refuses
   * private addresses, so a tenant's URL is checked where it is used, not only when it was saved (DNS rebinding).
   */
  constructor(options: { lookup?: LookupFunction } = {}) {
    this.agent = options.lookup === undefined ? undefined : new Agent({ connect: { lookup: options.lookup } });
  }

  /** Posts a body; resolves with any HTTP answer and rejects only when none came (network error, timeout, abort). */
  post(request: HttpPost): Promise<HttpAnswer> {
    return this.withBody('POST', request);
  }

  /** Puts a body (a setting or a template a sink installs); answers like post. */
  put(request: HttpPost): Promise<HttpAnswer> {
    return this.withBody('PUT', request);
  }

  private async withBody(method: 'POST' | 'PUT', request: HttpPost): Promise<HttpAnswer> {
    const headers = { ...request.headers };
    let body = request.body;
    if (request.gzip === true) {
      body = await gzipAsync(isChunks(body) ? Buffer.concat(body) : body, { level: request.gzipLevel ?? DEFAULT_GZIP_LEVEL });
      headers['content-encoding'] = 'gzip';
    }
    return this.send(request.url, method, headers, body, request.timeoutMs, request.signal, request.maxResponseBytes);
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }

  get(url: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<HttpAnswer> {
    return this.send(url, 'GET', headers, undefined, timeoutMs, signal);
  }

  /**
   * undici's `request` rather than fetch: a batch's body (a megabyte or more) is written to the socket as it is, where
   * fetch encoded a string body once more and copied it through a web stream (about a tenth of a connector's main
   * thread). Redirects are never followed by it.
   */
  private async send(
    url: string,
    method: 'GET' | 'POST' | 'PUT',
    headers: Record<string, string>,
    body: HttpPost['body'] | undefined,
    timeoutMs: number,
    signal: AbortSignal,
    maxResponseBytes = MAX_RESPONSE_BYTES,
  ): Promise<HttpAnswer> {
    const response = await undiciRequest(url, {
      method,
      // fetch sent `user-agent: node`; some gateways refuse a request without one. A sink's own header wins.
      // Chunks are written one after another (undici takes an iterable body); their total is the content-length, so
      // the request is not sent chunked (a SIEM may refuse that) and undici checks every byte was written.
      headers: {
        'user-agent': USER_AGENT,
        ...headers,
        ...(isChunks(body) && { 'content-length': String(body.reduce((n, chunk) => n + chunk.length, 0)) }),
      },
      // undici documents an Iterable body (Dispatcher.request, `body`); its type declarations do not list it yet.
      body: (body ?? null) as Dispatcher.DispatchOptions['body'],
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      // With an agent of our own (a guarded lookup) its connections; otherwise undici's shared keep-alive pool.
      ...(this.agent !== undefined && { dispatcher: this.agent }),
    });
    const retryAfterMs = parseRetryAfter(headerOf(response, 'retry-after'));
    if (isRedirect(response.statusCode)) {
      await response.body.dump({ limit: MAX_RESPONSE_BYTES });
      return { status: response.statusCode, text: '', retryAfterMs, redirectedTo: originOf(headerOf(response, 'location'), url) };
    }
    return { status: response.statusCode, text: await readCapped(response.body, maxResponseBytes), retryAfterMs };
  }
}

function isChunks(body: HttpPost['body'] | undefined): body is readonly Buffer[] {
  return Array.isArray(body);
}

function headerOf(response: Dispatcher.ResponseData, name: string): string | null {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** Only the origin: a Location's path or query may carry tokens. */
function originOf(location: string | null, base: string): string | undefined {
  if (location === null || !URL.canParse(location, base)) return undefined;
  return new URL(location, base).origin;
}

/** The first `max` bytes of the body as UTF-8 text; the stream is cancelled after them, so a huge answer costs nothing. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream, which undici reports as an abort: expected here, not an error.
  body.on('error', () => undefined);
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= max) break;
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/**
 * A SIEM's text made safe to keep: control characters (a CR/LF could forge log lines or headers) become spaces and
 * the whole is cut to MAX_REASON_CHARS, before it is logged, shown in the status or put in a dead-letter header.
 */
export function boundedReason(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length <= MAX_REASON_CHARS ? clean : `${clean.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** Why a 3xx was not followed, in words that tell the operator what to change. */
export function redirectReason(answer: HttpAnswer): string {
  const where = answer.redirectedTo === undefined ? '' : ` to ${answer.redirectedTo}`;
  return `HTTP ${answer.status}: redirect${where} refused; Vigil never follows redirects (the batch and its secret headers would go elsewhere): set the connector's url to the final endpoint`;
}

/** Why a request got no answer, in words for the status and logs (no URL query, no headers: no secrets). */
export function describeNetworkError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return 'request timed out';
  if (error.name === 'AbortError') return 'request aborted';
  const cause = error.cause?.code ?? error.cause?.message;
  return cause === undefined ? error.message : `${error.message} (${cause})`;
}

/**
 * The meaning of a plain HTTP status for a JSON-over-HTTP SIEM: 2xx accepted; 3xx (never followed) and 401/403 need
 * an operator; 408, 425, 429 and 5xx retryable (honouring Retry-After); other 4xx a refusal of the batch as a whole
 * (the runner splits it).
 */
export function classifyHttpAnswer(answer: HttpAnswer): DeliveryResult {
  const { status } = answer;
  const detail = boundedReason(`HTTP ${status}${answer.text === '' ? '' : `: ${answer.text}`}`);
  if (status >= 200 && status < 300) return { kind: 'ok' };
  // A redirect is a configuration problem (the URL moved), not a refusal of the events: an operator must act.
  if (isRedirect(status)) return { kind: 'auth-failed', reason: boundedReason(redirectReason(answer)) };
  if (status === 401 || status === 403) return { kind: 'auth-failed', reason: detail };
  if (status === 408 || status === 425 || status === 429 || status >= 500)
    return { kind: 'retryable', reason: detail, retryAfterMs: answer.retryAfterMs };
  return { kind: 'rejected', reason: detail, rejected: [], delivered: [] };
}
