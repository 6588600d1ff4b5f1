import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, DoubleServer, FailureQueue, playConnectionFailure, readBody, sendJson, type InjectedFailure } from './http-double.util';
import { checkOtlpLogsRequest } from './otlp-request.util';

export const WEBHOOK_TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-vigil-signature';
export const OTLP_LOGS_PATH = '/v1/logs';

export interface WebhookDoubleOptions {
  /** Shared HMAC secret. */
  secret?: string;
  /** Largest body accepted (wire and decompressed). Default 5 MB. */
  maxBodyBytes?: number;
  /** How far a signature timestamp may be from now before it counts as a replay. Default 300 s. */
  toleranceSeconds?: number;
}

export interface WebhookRequest {
  path: string;
  headers: IncomingMessage['headers'];
}

export type WebhookFailure = InjectedFailure;

/**
 * A webhook receiver enforcing Vigil's signed-webhook contract:
 * `X-Vigil-Timestamp: <unix seconds>` and `X-Vigil-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * where body is the JSON text after any Content-Encoding is removed; several `v1=` values separated by commas are
 * allowed (secret rotation). Accepts a JSON array (application/json), NDJSON (application/x-ndjson) or, on `/v1/logs`,
 * an OTLP/HTTP JSON logs request. Fails on demand with any status (429 carries Retry-After), resets or silence.
 */
export class WebhookDouble {
  readonly secret: string;
  private latencyMs = 0;
  private requestCount = 0;
  private last: WebhookRequest | undefined;
  private readonly received: Record<string, unknown>[] = [];
  private readonly failures = new FailureQueue<{ failure: WebhookFailure; retryAfterSeconds: number }>();
  private server!: DoubleServer;

  private constructor(private readonly options: WebhookDoubleOptions) {
    this.secret = options.secret ?? randomBytes(32).toString('hex');
  }

  static async start(options: WebhookDoubleOptions = {}): Promise<WebhookDouble> {
    const double = new WebhookDouble(options);
    double.server = await DoubleServer.listen((req, res) => double.handle(req, res));
    return double;
  }

  get url(): string {
    return this.server.url;
  }

  /** The next `count` requests fail; a 429 carries `Retry-After: retryAfterSeconds`. */
  failNext(count: number, failure: WebhookFailure, retryAfterSeconds = 1): void {
    this.failures.add(count, { failure, retryAfterSeconds });
  }

  /** Drops the failures still queued: the SIEM answers normally again (the end of an outage). */
  clearFailures(): void {
    this.failures.clear();
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Accepted documents: array items, NDJSON lines, or OTLP log records. */
  events(): Record<string, unknown>[] {
    return [...this.received];
  }

  /** Vigil event ids of the accepted documents (native `id`, ECS `event.id`, OTLP attribute `event.id`). */
  eventIds(): string[] {
    return this.received.map(eventIdOf);
  }

  requests(): number {
    return this.requestCount;
  }

  lastRequest(): WebhookRequest | undefined {
    return this.last;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await delay(this.latencyMs);
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'only POST is accepted' });
    this.requestCount++;
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    this.last = { path, headers: req.headers };
    const { failure, retryAfterSeconds } = this.failures.take() ?? {};
    if (failure === 'reset' || failure === 'timeout') return playConnectionFailure(res, failure);
    if (failure === 'busy') return sendJson(res, 503, { error: 'busy' });
    if (failure !== undefined) {
      const headers: Record<string, string> = failure === 429 ? { 'retry-after': String(retryAfterSeconds) } : {};
      return sendJson(res, failure, { error: `injected ${failure}` }, headers);
    }
    const body = await readBody(req, this.options.maxBodyBytes ?? 5_000_000);
    if (!body.ok) return sendJson(res, body.reason === 'too-large' ? 413 : 400, { error: body.detail });
    const denied = this.verifySignature(req, body.body);
    if (denied !== undefined) return sendJson(res, 401, { error: denied });
    const parsed = path === OTLP_LOGS_PATH ? this.parseOtlp(req, body.body) : parseDocuments(req, body.body);
    if ('error' in parsed)
      return sendJson(res, parsed.status, path === OTLP_LOGS_PATH ? { code: 3, message: parsed.error } : { error: parsed.error });
    this.received.push(...parsed.documents);
    sendJson(res, 200, path === OTLP_LOGS_PATH ? {} : { accepted: parsed.documents.length });
  }

  private verifySignature(req: IncomingMessage, body: Buffer): string | undefined {
    const timestamp = header(req, WEBHOOK_TIMESTAMP_HEADER);
    const signature = header(req, WEBHOOK_SIGNATURE_HEADER);
    if (timestamp === undefined || signature === undefined) return `missing ${WEBHOOK_TIMESTAMP_HEADER} or ${WEBHOOK_SIGNATURE_HEADER}`;
    if (!/^\d+$/.test(timestamp)) return `${WEBHOOK_TIMESTAMP_HEADER} must be unix seconds`;
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (age > (this.options.toleranceSeconds ?? 300))
      return `timestamp outside the tolerance (replayed or clock skew): ${Math.round(age)} s`;
    const expected = createHmac('sha256', this.secret).update(`${timestamp}.`).update(body).digest();
    const matches = signature
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.startsWith('v1='))
      .some((part) => {
        const given = Buffer.from(part.slice(3), 'hex');
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
    return matches ? undefined : 'signature does not match';
  }

  private parseOtlp(req: IncomingMessage, body: Buffer): ParsedBody {
    if (mediaType(req) !== 'application/json') return { status: 415, error: 'OTLP/HTTP here takes application/json only' };
    const json = parseJson(body);
    if (json === undefined) return { status: 400, error: 'body is not JSON' };
    const check = checkOtlpLogsRequest(json);
    return check.ok ? { documents: check.logRecords } : { status: 400, error: check.problem };
  }
}

type ParsedBody = { documents: Record<string, unknown>[] } | { status: number; error: string };

function parseDocuments(req: IncomingMessage, body: Buffer): ParsedBody {
  const type = mediaType(req);
  if (type === 'application/json') {
    const json = parseJson(body);
    if (!Array.isArray(json)) return { status: 400, error: 'body must be a JSON array of objects' };
    const bad = json.findIndex((item) => !isObject(item));
    return bad < 0 ? { documents: json as Record<string, unknown>[] } : { status: 400, error: `item ${bad} is not an object` };
  }
  if (type === 'application/x-ndjson' || type === 'application/ndjson') {
    const documents: Record<string, unknown>[] = [];
    const lines = body.toString('utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const json = parseJson(Buffer.from(line));
      if (!isObject(json)) return { status: 400, error: `line ${i + 1} is not a JSON object` };
      documents.push(json);
    }
    return { documents };
  }
  return { status: 415, error: `unsupported Content-Type ${type}` };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function eventIdOf(document: Record<string, unknown>): string {
  const { attributes, event, id } = document;
  if (Array.isArray(attributes)) {
    const kv: unknown = attributes.find((a) => isObject(a) && a['key'] === 'event.id');
    const value = isObject(kv) && isObject(kv['value']) ? kv['value']['stringValue'] : undefined;
    return typeof value === 'string' ? value : '';
  }
  if (isObject(event) && typeof event['id'] === 'string') return event['id'];
  return typeof id === 'string' ? id : '';
}
