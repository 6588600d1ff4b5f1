import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { parseRetryAfter } from './backoff.util';
import type { DeliveryResult } from './sink.types';

const gzipAsync = promisify(gzip);

export interface HttpAnswer {
  status: number;
  text: string;
  retryAfterMs: number | undefined;
}

export interface HttpPost {
  url: string;
  body: string;
  headers: Record<string, string>;
  gzip?: boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The HTTP client sinks send through (node's fetch, keep-alive): one place for timeouts, gzip and aborts. */
export class SinkHttpClient {
  /** Posts a body; resolves with any HTTP answer and rejects only when none came (network error, timeout, abort). */
  async post(request: HttpPost): Promise<HttpAnswer> {
    const headers = { ...request.headers };
    let body: string | Buffer = request.body;
    if (request.gzip === true) {
      body = await gzipAsync(request.body);
      headers['content-encoding'] = 'gzip';
    }
    return this.send(request.url, { method: 'POST', headers, body }, request.timeoutMs, request.signal);
  }

  get(url: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<HttpAnswer> {
    return this.send(url, { method: 'GET', headers }, timeoutMs, signal);
  }

  private async send(url: string, init: RequestInit, timeoutMs: number, signal: AbortSignal): Promise<HttpAnswer> {
    const response = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    const text = await response.text();
    return { status: response.status, text, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
  }
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
 * The meaning of a plain HTTP status for a JSON-over-HTTP SIEM: 2xx accepted; 401/403 credentials; 408, 425, 429 and
 * 5xx retryable (honouring Retry-After); other 4xx a refusal of the batch as a whole (the runner splits it).
 */
export function classifyHttpAnswer(answer: HttpAnswer): DeliveryResult {
  const { status } = answer;
  const detail = `HTTP ${status}${answer.text === '' ? '' : `: ${answer.text.slice(0, 300)}`}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 401 || status === 403) return { kind: 'auth-failed', reason: detail };
  if (status === 408 || status === 425 || status === 429 || status >= 500)
    return { kind: 'retryable', reason: detail, retryAfterMs: answer.retryAfterMs };
  return { kind: 'rejected', reason: detail, rejected: [], delivered: [] };
}
