import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, DoubleServer, FailureQueue, playConnectionFailure, readBody, sendJson, type InjectedFailure } from './http-double.util';

export const DATADOG_LOGS_PATH = '/api/v2/logs';
const MAX_PAYLOAD_BYTES = 5_000_000;
const MAX_ENTRIES = 1000;
const MAX_ENTRY_BYTES = 1_000_000;

export interface DatadogEntry {
  ddsource?: string;
  ddtags?: string;
  service?: string;
  hostname?: string | null;
  message?: string;
  status?: string;
  evt?: { id?: string; name?: string; outcome?: string };
  vigil?: { id?: string; tenantId?: string };
  [attribute: string]: unknown;
}

/**
 * Datadog's log intake (Logs API v2) as its documentation states the contract: `POST /api/v2/logs` with the API key in
 * `DD-API-KEY` (403 without a valid one), `application/json` bodies (gzip allowed) holding one log object or an array,
 * at most 1,000 entries (400 beyond) and 5 MB uncompressed (413 beyond); an entry over 1 MB is accepted truncated, and
 * counted here so tests can assert the sender never sends one. 202 with `{}` on success. Fails on demand; an entry
 * whose message is `reject-me` makes the request 400, like a malformed entry would.
 */
export class DatadogDouble {
  apiKey = randomBytes(16).toString('hex');
  private readonly received: DatadogEntry[] = [];
  private readonly failures = new FailureQueue<{ failure: InjectedFailure; retryAfterSeconds: number }>();
  private server!: DoubleServer;
  requestCount = 0;
  private latencyMs = 0;
  oversizeEntries = 0;
  largestRequestEntries = 0;
  /** Content-Encoding of the last accepted request. */
  lastEncoding: string | undefined;

  static async start(): Promise<DatadogDouble> {
    const double = new DatadogDouble();
    double.server = await DoubleServer.listen((req, res) => double.handle(req, res));
    return double;
  }

  get url(): string {
    return `${this.server.url}${DATADOG_LOGS_PATH}`;
  }

  entries(): DatadogEntry[] {
    return [...this.received];
  }

  eventIds(): string[] {
    return this.received.map((e) => e.evt?.id ?? '');
  }

  failNext(count: number, failure: InjectedFailure, retryAfterSeconds = 1): void {
    this.failures.add(count, { failure, retryAfterSeconds });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** A key rotated on Datadog's side: requests with the old one get 403 from now on. */
  setApiKey(key: string): void {
    this.apiKey = key;
  }

  clearFailures(): void {
    this.failures.clear();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await delay(this.latencyMs);
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://dd').pathname !== DATADOG_LOGS_PATH)
      return sendJson(res, 404, { errors: [{ status: '404', title: 'Not Found' }] });
    this.requestCount++;
    const { failure, retryAfterSeconds } = this.failures.take() ?? {};
    if (failure === 'reset' || failure === 'timeout') return playConnectionFailure(res, failure);
    if (failure !== undefined) {
      const status = failure === 'busy' ? 503 : failure;
      return sendJson(
        res,
        status,
        { errors: [{ status: String(status), title: 'injected' }] },
        status === 429 ? { 'retry-after': String(retryAfterSeconds) } : {},
      );
    }
    if (req.headers['dd-api-key'] !== this.apiKey)
      return sendJson(res, 403, { errors: [{ status: '403', title: 'Forbidden', detail: 'API key is invalid' }] });
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (!body.ok) return sendJson(res, body.reason === 'too-large' ? 413 : 400, { errors: [{ status: '413', title: body.detail }] });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { errors: [{ status: '415' }] });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, { errors: [{ status: '400', title: 'Bad Request', detail: 'invalid JSON' }] });
    }
    const entries = (Array.isArray(parsed) ? parsed : [parsed]) as DatadogEntry[];
    if (entries.length > MAX_ENTRIES)
      return sendJson(res, 400, { errors: [{ status: '400', detail: `more than ${MAX_ENTRIES} entries` }] });
    if (entries.some((e) => e.message === 'reject-me'))
      return sendJson(res, 400, { errors: [{ status: '400', detail: 'malformed entry' }] });
    this.oversizeEntries += entries.filter((e) => Buffer.byteLength(JSON.stringify(e)) > MAX_ENTRY_BYTES).length;
    this.largestRequestEntries = Math.max(this.largestRequestEntries, entries.length);
    this.received.push(...entries);
    this.lastEncoding = req.headers['content-encoding'];
    sendJson(res, 202, {});
  }
}
