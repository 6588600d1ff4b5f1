import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseConcatenatedJson } from './concatenated-json.util';
import { delay, DoubleServer, FailureQueue, playConnectionFailure, readBody, sendJson, type InjectedFailure } from './http-double.util';

export interface SplunkHecDoubleOptions {
  token?: string;
  /** Largest request body accepted, compressed or not (Splunk's `max_content_length`). Default 1 MB. */
  maxContentLength?: number;
  /** Indexer acknowledgement: a channel is required and every accepted batch gets an ackId. */
  acks?: boolean;
  /** How long after acceptance an ackId reports true. */
  ackDelayMs?: number;
  /** Reject events without `time` (Splunk would stamp them with the arrival time; Vigil must always send one). Default true. */
  requireTime?: boolean;
}

/** One event object the double accepted, as parsed from the batch. */
export interface HecReceivedEvent {
  time?: number | string;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event: unknown;
  fields?: Record<string, unknown>;
  /** The channel it came on, when there was one. */
  channel?: string;
}

interface HecReply {
  status: number;
  text: string;
  code: number;
}

// Splunk's documented HEC status codes, by meaning.
const HEC = {
  success: { status: 200, text: 'Success', code: 0 },
  tokenRequired: { status: 401, text: 'Token is required', code: 2 },
  invalidAuthorization: { status: 401, text: 'Invalid authorization', code: 3 },
  invalidToken: { status: 403, text: 'Invalid token', code: 4 },
  noData: { status: 400, text: 'No data', code: 5 },
  invalidDataFormat: { status: 400, text: 'Invalid data format', code: 6 },
  internalError: { status: 500, text: 'Internal server error', code: 8 },
  busy: { status: 503, text: 'Server is busy', code: 9 },
  channelMissing: { status: 400, text: 'Data channel is missing', code: 10 },
  invalidChannel: { status: 400, text: 'Invalid data channel', code: 11 },
  eventRequired: { status: 400, text: 'Event field is required', code: 12 },
  eventBlank: { status: 400, text: 'Event field cannot be blank', code: 13 },
  ackDisabled: { status: 400, text: 'ACK is disabled', code: 14 },
  indexedFields: { status: 400, text: 'Error in handling indexed fields', code: 15 },
  healthy: { status: 200, text: 'HEC is healthy', code: 17 },
  unhealthy: { status: 503, text: 'HEC is unhealthy, queues are full', code: 18 },
} satisfies Record<string, HecReply>;

const EVENT_PATHS = new Set(['/services/collector', '/services/collector/event', '/services/collector/event/1.0']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A fake Splunk HTTP Event Collector enforcing HEC's contract: token auth, concatenated JSON batches, per-event
 * validation with `invalid-event-number` (events before the bad one are kept, as Splunk does), size limit, gzip,
 * health, and indexer acknowledgement on channels. Fails on demand.
 */
export class SplunkHecDouble {
  private token: string;
  private busy = false;
  private latencyMs = 0;
  private requestCount = 0;
  private inFlight = 0;
  private mostInFlight = 0;
  private readonly received: HecReceivedEvent[] = [];
  private readonly failures = new FailureQueue();
  private poison: (event: HecReceivedEvent) => boolean = () => false;
  private ackDelayMs: number;
  private readonly channels = new Map<string, { nextAckId: number; pending: Map<number, number> }>();
  private server!: DoubleServer;

  private constructor(private readonly options: SplunkHecDoubleOptions) {
    this.token = options.token ?? randomUUID();
    this.ackDelayMs = options.ackDelayMs ?? 0;
  }

  static async start(options: SplunkHecDoubleOptions = {}): Promise<SplunkHecDouble> {
    const double = new SplunkHecDouble(options);
    double.server = await DoubleServer.listen((req, res) => double.handle(req, res));
    return double;
  }

  /** Base URL, e.g. http://127.0.0.1:41234 (append /services/collector/event). */
  get url(): string {
    return this.server.url;
  }

  get currentToken(): string {
    return this.token;
  }

  setToken(token: string): void {
    this.token = token;
  }

  /** While busy, the event endpoint answers 503 code 9 and the health endpoint 503 code 18. */
  setBusy(busy: boolean): void {
    this.busy = busy;
  }

  /** The next `count` event requests fail: with an HTTP status, HEC "server busy", a dropped connection, or no answer at all. */
  failNext(count: number, failure: InjectedFailure): void {
    this.failures.add(count, failure);
  }

  /** Events matching the predicate are rejected with code 6 at their index (a poisoned event). */
  rejectEvents(predicate: (event: HecReceivedEvent) => boolean): void {
    this.poison = predicate;
  }

  setAckDelay(ms: number): void {
    this.ackDelayMs = ms;
  }

  /** Delay before every response (a slow Splunk). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  events(): HecReceivedEvent[] {
    return [...this.received];
  }

  /** The Vigil event ids of the accepted events (`event.id`), in arrival order. */
  eventIds(): string[] {
    return this.received.map((e) => (isObject(e.event) && typeof e.event['id'] === 'string' ? e.event['id'] : ''));
  }

  /** The most requests that were in hand at once (arrived, not answered yet). */
  maxConcurrentRequests(): number {
    return this.mostInFlight;
  }

  /** Requests seen on the event endpoint, failed ones included. */
  requests(): number {
    return this.requestCount;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    res.once('close', () => this.inFlight--);
    await delay(this.latencyMs);
    const url = new URL(req.url ?? '/', 'http://double');
    if (req.method === 'GET' && url.pathname === '/services/collector/health') return reply(res, this.busy ? HEC.unhealthy : HEC.healthy);
    if (req.method === 'POST' && EVENT_PATHS.has(url.pathname)) return this.handleEvents(req, res, url);
    if (req.method === 'POST' && url.pathname === '/services/collector/ack') return this.handleAck(req, res, url);
    sendJson(res, 404, { text: 'The requested URL was not found on this server.', code: 404 });
  }

  private async handleEvents(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.requestCount++;
    const failure = this.failures.take();
    if (failure === 'reset' || failure === 'timeout') return playConnectionFailure(res, failure);
    if (failure === 'busy' || this.busy) return reply(res, HEC.busy);
    if (failure !== undefined) return reply(res, failure === 503 ? HEC.busy : { ...HEC.internalError, status: failure });
    const denied = this.authenticate(req) ?? this.channelError(req, url);
    if (denied !== undefined) return reply(res, denied);
    const body = await readBody(req, this.options.maxContentLength ?? 1_000_000);
    if (!body.ok) return body.reason === 'too-large' ? sendJson(res, 413, { text: body.detail }) : reply(res, HEC.invalidDataFormat);
    const text = body.body.toString('utf8');
    if (text.trim() === '') return reply(res, HEC.noData);
    const channel = channelOf(req, url);
    const parsed = parseConcatenatedJson(text);
    for (const [index, value] of parsed.values.entries()) {
      const problem = this.validate(value);
      if (problem !== undefined) return reply(res, problem, { 'invalid-event-number': index });
      this.received.push({ ...(value as HecReceivedEvent), ...(channel !== undefined && { channel }) });
    }
    if (!parsed.ok) return reply(res, HEC.invalidDataFormat, { 'invalid-event-number': parsed.index });
    if (this.options.acks !== true || channel === undefined) return reply(res, HEC.success);
    reply(res, HEC.success, { ackId: this.issueAck(channel) });
  }

  private validate(value: unknown): HecReply | undefined {
    if (!isObject(value)) return HEC.invalidDataFormat;
    if (!('event' in value)) return HEC.eventRequired;
    if (value['event'] === null || value['event'] === '') return HEC.eventBlank;
    const time = value['time'];
    if (time === undefined ? this.options.requireTime !== false : !isEpochSeconds(time)) return HEC.invalidDataFormat;
    if (value['fields'] !== undefined && !isIndexedFields(value['fields'])) return HEC.indexedFields;
    if (this.poison(value as unknown as HecReceivedEvent)) return HEC.invalidDataFormat;
    return undefined;
  }

  private async handleAck(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const denied = this.authenticate(req);
    if (denied !== undefined) return reply(res, denied);
    if (this.options.acks !== true) return reply(res, HEC.ackDisabled);
    const channelDenied = this.channelError(req, url);
    if (channelDenied !== undefined) return reply(res, channelDenied);
    const body = await readBody(req, 1_000_000);
    let acks: unknown;
    try {
      acks = body.ok ? (JSON.parse(body.body.toString('utf8')) as { acks?: unknown }).acks : undefined;
    } catch {
      acks = undefined;
    }
    if (!Array.isArray(acks) || !acks.every((id) => Number.isInteger(id))) return reply(res, HEC.invalidDataFormat);
    const pending = this.channels.get(channelOf(req, url) ?? '')?.pending;
    const now = Date.now();
    const statuses: Record<string, boolean> = {};
    for (const id of acks as number[]) {
      const readyAt = pending?.get(id);
      // Splunk forgets an ackId once it has reported it true.
      statuses[String(id)] = readyAt !== undefined && readyAt <= now;
      if (statuses[String(id)]) pending?.delete(id);
    }
    sendJson(res, 200, { acks: statuses });
  }

  private authenticate(req: IncomingMessage): HecReply | undefined {
    const header = req.headers.authorization;
    if (header === undefined) return HEC.tokenRequired;
    const match = /^Splunk (\S+)$/.exec(header);
    if (match === null) return HEC.invalidAuthorization;
    return match[1] === this.token ? undefined : HEC.invalidToken;
  }

  private channelError(req: IncomingMessage, url: URL): HecReply | undefined {
    const channel = channelOf(req, url);
    if (channel === undefined) return this.options.acks === true ? HEC.channelMissing : undefined;
    return GUID.test(channel) ? undefined : HEC.invalidChannel;
  }

  private issueAck(channel: string): number {
    let state = this.channels.get(channel);
    if (state === undefined) {
      state = { nextAckId: 0, pending: new Map() };
      this.channels.set(channel, state);
    }
    const ackId = state.nextAckId++;
    state.pending.set(ackId, Date.now() + this.ackDelayMs);
    return ackId;
  }
}

function reply(res: ServerResponse, { status, text, code }: HecReply, extra: Record<string, number> = {}): void {
  sendJson(res, status, { text, code, ...extra });
}

function channelOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-splunk-request-channel'];
  return (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('channel') ?? undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Splunk would take milliseconds too and file the event in the year 55000; the double refuses anything past 2286.
const MAX_EPOCH_SECONDS = 1e10;

function isEpochSeconds(value: unknown): boolean {
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 && seconds < MAX_EPOCH_SECONDS;
}

function isIndexedFields(value: unknown): boolean {
  return (
    isObject(value) &&
    Object.values(value).every((v) => typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string')))
  );
}
