import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, DoubleServer, FailureQueue, playConnectionFailure, readBody, sendJson, type InjectedFailure } from './http-double.util';

const MAX_CALL_BYTES = 1_000_000;
const SCOPE = 'https://monitor.azure.com/.default';

export interface SentinelRow {
  TimeGenerated?: string;
  EventType?: string;
  EventResult?: string;
  Operation?: string;
  VigilEventId?: string;
  VigilTenantId?: string;
  [column: string]: unknown;
}

/**
 * Microsoft Entra ID's token endpoint and Azure Monitor's Logs Ingestion API in one server, as their documentation
 * states the contract: `POST /{tenant}/oauth2/v2.0/token` (form: grant_type=client_credentials, client_id,
 * client_secret, scope https://monitor.azure.com/.default) answers `{ token_type, expires_in, access_token }` or 400/401
 * with an AADSTS error; `POST /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01` with
 * `Authorization: Bearer <token>` takes a JSON array of at most 1 MB (413 beyond) and answers 204; an unknown or
 * revoked token gets 401, a wrong rule or stream 404. Fails on demand.
 */
export class SentinelDouble {
  readonly tenantId = randomUUID();
  readonly clientId = randomUUID();
  readonly dcrImmutableId = `dcr-${randomBytes(16).toString('hex')}`;
  readonly streamName = 'Custom-VigilAudit_CL';
  clientSecret = randomBytes(16).toString('base64url');
  tokenLifetimeSeconds = 3600;
  tokenRequests = 0;
  ingestionCalls = 0;
  largestCallBytes = 0;
  private readonly tokens = new Set<string>();
  private readonly rows: SentinelRow[] = [];
  private readonly failures = new FailureQueue<{ failure: InjectedFailure; retryAfterSeconds: number }>();
  private server!: DoubleServer;
  private latencyMs = 0;

  static async start(): Promise<SentinelDouble> {
    const double = new SentinelDouble();
    double.server = await DoubleServer.listen((req, res) => double.handle(req, res));
    return double;
  }

  /** Both the authority host and the ingestion endpoint. */
  get url(): string {
    return this.server.url;
  }

  received(): SentinelRow[] {
    return [...this.rows];
  }

  eventIds(): string[] {
    return this.rows.map((r) => r.VigilEventId ?? '');
  }

  /** Every token issued so far stops working (401), as after a revocation. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** Ingestion calls only; the token endpoint never fails on demand. */
  failNext(count: number, failure: InjectedFailure, retryAfterSeconds = 1): void {
    this.failures.add(count, { failure, retryAfterSeconds });
  }

  /** Every ingestion call answers this much later (a slow workspace). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  clearFailures(): void {
    this.failures.clear();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://azure');
    if (req.method === 'POST' && url.pathname === `/${this.tenantId}/oauth2/v2.0/token`) return this.token(req, res);
    const ingestion = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'POST' && ingestion !== null)
      return this.ingest(req, res, url, ingestion[1] ?? '', decodeURIComponent(ingestion[2] ?? ''));
    return sendJson(res, 404, { error: { code: 'NotFound', message: `no route ${url.pathname}` } });
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.tokenRequests++;
    const body = await readBody(req, 64 * 1024);
    const form = new URLSearchParams(body.ok ? body.body.toString('utf8') : '');
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== SCOPE)
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'AADSTS900144: grant_type and scope are required' });
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret)
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
    const token = randomBytes(24).toString('base64url');
    this.tokens.add(token);
    sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeSeconds,
      ext_expires_in: this.tokenLifetimeSeconds,
      access_token: token,
    });
  }

  private async ingest(req: IncomingMessage, res: ServerResponse, url: URL, dcr: string, stream: string): Promise<void> {
    this.ingestionCalls++;
    await delay(this.latencyMs);
    const { failure, retryAfterSeconds } = this.failures.take() ?? {};
    if (failure === 'reset' || failure === 'timeout') return playConnectionFailure(res, failure);
    if (failure !== undefined) {
      const status = failure === 'busy' ? 503 : failure;
      return sendJson(
        res,
        status,
        { error: { code: 'Injected', message: `injected ${status}` } },
        status === 429 ? { 'retry-after': String(retryAfterSeconds) } : {},
      );
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    if (bearer === undefined || !this.tokens.has(bearer))
      return sendJson(res, 401, { error: { code: 'InvalidToken', message: 'The provided access token is invalid or expired' } });
    if (url.searchParams.get('api-version') !== '2023-01-01')
      return sendJson(res, 400, { error: { code: 'InvalidApiVersion', message: 'api-version 2023-01-01 is required' } });
    if (dcr !== this.dcrImmutableId || stream !== this.streamName)
      return sendJson(res, 404, { error: { code: 'NotFound', message: 'Data collection rule or stream not found' } });
    const body = await readBody(req, MAX_CALL_BYTES);
    if (!body.ok) return sendJson(res, 413, { error: { code: 'ContentLengthLimitExceeded', message: body.detail } });
    this.largestCallBytes = Math.max(this.largestCallBytes, body.body.length);
    let rows: unknown;
    try {
      rows = JSON.parse(body.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: { code: 'InvalidContent', message: 'body is not JSON' } });
    }
    if (!Array.isArray(rows)) return sendJson(res, 400, { error: { code: 'InvalidContent', message: 'body must be a JSON array' } });
    if ((rows as SentinelRow[]).some((r) => typeof r.TimeGenerated !== 'string'))
      return sendJson(res, 400, { error: { code: 'InvalidContent', message: 'TimeGenerated is required in every row' } });
    this.rows.push(...(rows as SentinelRow[]));
    res.writeHead(204).end();
  }
}
