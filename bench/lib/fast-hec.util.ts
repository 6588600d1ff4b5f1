import { createServer, Socket, type AddressInfo, type SocketConstructorOpts } from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { countOf, type InflateReply, type InflateRequest, type InflateWorkerData } from './inflate-worker.bootstrap';

export interface FastHecOptions {
  /**
   * A string that occurs exactly once in each event the benchmark counts (e.g. `"tenant_id":"<tenant>-`). When set,
   * `marked`, `firstAt` and `lastAt` cover only requests holding it, so events other runs publish to the same topic
   * on a shared stack do not move the timing. Unset: every event counts.
   */
  marker?: string;
  /** Milliseconds before each answer, as a SIEM across a network takes (default 0). */
  latencyMs?: number;
  /** Which SIEM's API it answers (default `hec`): its ingestion path, its answer, and how its events start. */
  kind?: FastSiemKind;
}

/**
 * The SIEM APIs the double speaks: Splunk HEC, Datadog's Logs API v2, Sentinel's Logs Ingestion API (and its token),
 * Elasticsearch's `_bulk` (and the setup a sink does first), and a webhook receiving NDJSON.
 */
export type FastSiemKind = 'hec' | 'datadog' | 'sentinel' | 'elasticsearch' | 'webhook';

interface SiemApi {
  /** Whether a request to this path delivers events (others get `other`'s answer and are not counted). */
  ingests: (path: string) => boolean;
  /** A string each event of a delivery holds once (its first key as the sink writes it, or its framing). */
  eventStart: Buffer;
  /** The answer to a delivery of this many events. */
  ok: Buffer | ((events: number) => Buffer);
  /** The answer to any other request (Sentinel's token request). */
  other: Buffer;
}

const answer = (status: string, body = ''): Buffer =>
  Buffer.from(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

const NOT_FOUND = answer('404 Not Found');

const APIS: Record<FastSiemKind, SiemApi> = {
  hec: {
    ingests: (path) => path.startsWith('/services/collector/event'),
    eventStart: Buffer.from('{"time":'),
    ok: answer('200 OK', '{"text":"Success","code":0}'),
    other: NOT_FOUND,
  },
  datadog: {
    ingests: (path) => path === '/api/v2/logs',
    eventStart: Buffer.from('{"ddsource":'),
    ok: answer('202 Accepted', '{}'),
    other: NOT_FOUND,
  },
  sentinel: {
    ingests: (path) => path.includes('/dataCollectionRules/'),
    eventStart: Buffer.from('{"TimeGenerated":'),
    ok: answer('204 No Content'),
    // The Entra ID token a Sentinel connector asks for first (client credentials).
    other: answer('200 OK', '{"token_type":"Bearer","expires_in":3600,"access_token":"bench"}'),
  },
  elasticsearch: {
    ingests: (path) => path.startsWith('/_bulk'),
    // One action line per document; the ECS documents themselves never hold it.
    eventStart: Buffer.from('{"create":{'),
    // As a cluster answers with the sink's filter_path: every item named, in order.
    ok: (events) =>
      answer('200 OK', `{"errors":false,"items":[${Array.from({ length: events }, () => '{"create":{"status":201}}').join(',')}]}`),
    // `GET /` (the flavor) and the setup's PUTs (ILM policy, index template): one answer that reads as each.
    other: answer('200 OK', '{"version":{"number":"8.15.0","build_flavor":"default"},"acknowledged":true}'),
  },
  webhook: {
    ingests: (path) => path === '/events',
    // NDJSON framing: a newline ends each record, and JSON text never holds a raw one.
    eventStart: Buffer.from('\n'),
    ok: answer('200 OK', '{}'),
    other: NOT_FOUND,
  },
};

export interface FastHec {
  url: string;
  /** Events received (every event, marked or not). */
  received: () => number;
  /** Events holding the marker (equal to `received` without a marker). */
  marked: () => number;
  /** process.hrtime.bigint() at the first and last request holding a counted event. */
  firstAt: () => bigint | undefined;
  lastAt: () => bigint | undefined;
  /** Date.now() at the last counted request, to compare with wall-clock times of other processes. */
  lastAtEpochMs: () => number | undefined;
  /** Forgets what arrived so far (warm-up traffic), keeping the server up. */
  reset: () => void;
  close: () => Promise<void>;
}

/**
 * Counts a needle in a body as its chunks arrive, in the bytes (no UTF-8 decoding, no copy of the body): the
 * double's CPU is the benchmark machine's too. A needle cut across two chunks is found in their joint.
 */
export class NeedleCounter {
  count = 0;
  private tail = Buffer.alloc(0);

  constructor(private readonly needle: Buffer) {}

  add(chunk: Buffer): void {
    const { needle } = this;
    if (this.tail.length > 0) {
      // Only an occurrence that starts in the tail and ends in the chunk: the tail alone was counted already.
      const joint = Buffer.concat([this.tail, chunk.subarray(0, needle.length - 1)]);
      for (let at = joint.indexOf(needle); at !== -1 && at < this.tail.length; at = joint.indexOf(needle, at + 1)) this.count++;
    }
    this.count += countOf(chunk, needle);
    // The last needle.length - 1 bytes seen, across chunks shorter than that.
    const seen = chunk.length >= needle.length - 1 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(seen.subarray(Math.max(0, seen.length - needle.length + 1)));
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** A request head longer than this is refused: the double reads heads, it does not collect them. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A gzipped body is held whole until inflated: larger ones are refused (a sink's request is 5 MB before gzip at most). */
const MAX_GZIPPED_BYTES = 64 * 1024 * 1024;

/** One keep-alive connection: the request head being read, then how much of its body is left. */
interface Connection {
  head: Buffer;
  /** Body bytes still to come; -1 while reading a head. */
  left: number;
  path: string;
  starts: NeedleCounter;
  marks: NeedleCounter | undefined;
  /**
   * A gzipped body (Datadog and Sentinel sinks gzip by default), written here as it arrives (its content-length is
   * known from the head) and inflated in one call once complete: events are counted in its output.
   */
  gzipped: Uint8Array | undefined;
  /** How much of `gzipped` has arrived. */
  gzippedAt: number;
  /** The answers still to write, in request order: a gzipped body's inflating may end after a later request's. */
  answered: Promise<void>;
}

/**
 * A SIEM (Splunk HEC by default, or Datadog's, Sentinel's or Elasticsearch's API, or a webhook: `kind`) that accepts
 * everything and only counts: the Vigil side, not the SIEM, is what a benchmark measures. No token check and no HEC
 * acknowledgements, so a Splunk connector using it must leave `ack` off. A gzipped body is inflated on a thread of
 * its own once it has arrived.
 *
 * It speaks HTTP/1.1 on a plain socket that reads into one reused buffer (node's `onread`), because the double runs
 * on the two cores it measures. node's HTTP server gave every socket read a new buffer: 70 MB/s of them made V8
 * collect the double's whole heap three to four times a second, which with the parsing took 35-45 % of a core from
 * the connector under test. Bodies must carry `content-length` (undici sends it for every sink's buffered body); a
 * chunked request is answered 411 and its connection closed, so its events are never counted and the benchmark fails
 * on its count.
 */
export async function startFastHec(options: FastHecOptions = {}): Promise<FastHec> {
  const { latencyMs = 0 } = options;
  const api = APIS[options.kind ?? 'hec'];
  const marker = options.marker === undefined ? undefined : Buffer.from(options.marker);
  let received = 0;
  let marked = 0;
  let firstAt: bigint | undefined;
  let lastAt: bigint | undefined;
  let lastAtEpochMs: number | undefined;
  const readBuffer = Buffer.allocUnsafe(256 * 1024);
  const sockets = new Set<Socket>();

  /** Counts a request's events and answers it; `request` is what its head and body gave (the connection reads on). */
  const finish = (socket: Socket, request: Pick<Connection, 'path' | 'starts' | 'marks'>): void => {
    // A connection closed for an earlier request (a body that did not inflate) counts nothing after it.
    if (socket.destroyed) return;
    const ingested = api.ingests(request.path);
    if (ingested) {
      const events = request.starts.count;
      const counted = request.marks === undefined ? events : request.marks.count;
      received += events;
      if (counted > 0) {
        marked += counted;
        firstAt ??= process.hrtime.bigint();
        lastAt = process.hrtime.bigint();
        lastAtEpochMs = Date.now();
      }
    }
    const response = !ingested ? api.other : typeof api.ok === 'function' ? api.ok(request.starts.count) : api.ok;
    // With latency, answers of one connection still go in request order: every timer has the same delay.
    if (latencyMs > 0) setTimeout(() => socket.destroyed || socket.write(response), latencyMs);
    else socket.write(response);
  };

  /**
   * Gzipped bodies are inflated by a thread of the double's own (inflate-worker.bootstrap.ts), in one call each. A
   * stream inflater here (16 KiB chunks, an event each) cost the double four times the inflating itself in JavaScript,
   * and the inflated megabytes made V8 mark the double's whole heap every 150-250 ms (external memory): a tenth of the
   * two cores the connector under test runs on.
   */
  const inflater = new Worker(path.join(__dirname, 'inflate-worker.bootstrap.js'), {
    workerData: { needles: [api.eventStart.toString(), ...(marker === undefined ? [] : [marker.toString()])] } satisfies InflateWorkerData,
  });
  inflater.unref();
  const inflating = new Map<number, (counts: number[] | undefined) => void>();
  let nextInflateId = 0;
  inflater.on('message', ({ id, counts }: InflateReply) => {
    inflating.get(id)?.(counts);
    inflating.delete(id);
  });
  // A dead inflater fails every body it held and every body after it: their connections are closed, their events never
  // counted, and the benchmark fails on its count rather than waiting for answers that never come.
  let inflaterDead = false;
  const inflaterDied = (): void => {
    inflaterDead = true;
    for (const fail of inflating.values()) fail(undefined);
    inflating.clear();
  };
  inflater.on('error', inflaterDied);
  inflater.on('exit', inflaterDied);
  const inflate = (body: Uint8Array): Promise<number[] | undefined> =>
    new Promise((resolve) => {
      if (inflaterDead) {
        resolve(undefined);
        return;
      }
      const id = nextInflateId++;
      inflating.set(id, resolve);
      inflater.postMessage({ id, body } satisfies InflateRequest, [body.buffer as ArrayBuffer]);
    });

  /** The request's body is complete: count and answer, in request order (an inflating may finish after a later body). */
  const bodyDone = (socket: Socket, c: Connection): void => {
    const { gzipped, path, starts, marks } = c;
    if (gzipped === undefined) {
      c.answered = c.answered.then(() => finish(socket, { path, starts, marks }));
      return;
    }
    c.gzipped = undefined;
    const inflated = inflate(gzipped);
    c.answered = c.answered.then(async () => {
      const counts = await inflated;
      if (counts === undefined) {
        socket.destroy();
        return;
      }
      starts.count += counts[0] ?? 0;
      if (marks !== undefined) marks.count += counts[1] ?? 0;
      finish(socket, { path, starts, marks });
    });
  };

  /** Reads a request head; false if the request is refused (the connection is then closed). */
  const readHead = (socket: Socket, c: Connection, head: string): boolean => {
    const [requestLine = '', ...lines] = head.split('\r\n');
    c.path = requestLine.split(' ')[1] ?? '';
    let length = 0;
    let gzipped = false;
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
      if (name === 'content-encoding')
        gzipped =
          line
            .slice(colon + 1)
            .trim()
            .toLowerCase() === 'gzip';
      if (name === 'transfer-encoding') {
        socket.end('HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return false;
      }
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return false;
    }
    if (gzipped && length > MAX_GZIPPED_BYTES) {
      socket.end('HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return false;
    }
    c.left = length;
    const starts = new NeedleCounter(api.eventStart);
    const marks = marker === undefined ? undefined : new NeedleCounter(marker);
    c.starts = starts;
    c.marks = marks;
    // A buffer of its own (not a view into a pool), so the inflater can take it.
    c.gzipped = gzipped ? new Uint8Array(length) : undefined;
    c.gzippedAt = 0;
    return true;
  };

  const onData = (socket: Socket, c: Connection, bytes: number, buf: Buffer): boolean => {
    let at = 0;
    while (at < bytes) {
      if (c.left < 0) {
        const chunk = buf.subarray(at, bytes);
        const joined = c.head.length > 0 ? Buffer.concat([c.head, chunk]) : chunk;
        const end = joined.indexOf(HEAD_END);
        if (end === -1) {
          if (joined.length > MAX_HEAD_BYTES) {
            socket.destroy();
            return false;
          }
          c.head = Buffer.from(joined); // a copy: the read buffer is reused
          return true;
        }
        at += end + HEAD_END.length - c.head.length;
        const head = joined.toString('latin1', 0, end);
        c.head = Buffer.alloc(0);
        if (!readHead(socket, c, head)) return false;
      } else {
        const take = Math.min(c.left, bytes - at);
        const body = buf.subarray(at, at + take);
        if (c.gzipped !== undefined) {
          c.gzipped.set(body, c.gzippedAt); // a copy: the read buffer is reused
          c.gzippedAt += body.length;
        } else {
          c.starts.add(body);
          c.marks?.add(body);
        }
        at += take;
        c.left -= take;
      }
      if (c.left === 0) {
        c.left = -1;
        bodyDone(socket, c);
      }
    }
    return true;
  };

  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    const c: Connection = {
      head: Buffer.alloc(0),
      left: -1,
      path: '',
      starts: new NeedleCounter(api.eventStart),
      marks: undefined,
      gzipped: undefined,
      gzippedAt: 0,
      answered: Promise.resolve(),
    };
    // The accepted socket's handle, read by a socket that fills one reused buffer (`onread`) instead of a new one per
    // read. node's types do not list `handle`; net.Socket takes it as it takes `fd`.
    const socket = new Socket({
      handle: (accepted as unknown as { _handle: unknown })._handle,
      onread: { buffer: readBuffer, callback: (bytes: number, buf: Uint8Array) => onData(socket, c, bytes, buf as Buffer) },
    } as SocketConstructorOpts);
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      // The server counts the accepted socket, whose handle the reader took (and closed): forget the handle, so
      // destroying it only tells the server the connection is gone (server.close waits for that).
      (accepted as unknown as { _handle: unknown })._handle = null;
      accepted.destroy();
    });
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    marked: () => marked,
    firstAt: () => firstAt,
    lastAt: () => lastAt,
    lastAtEpochMs: () => lastAtEpochMs,
    reset: () => {
      received = 0;
      marked = 0;
      firstAt = undefined;
      lastAt = undefined;
      lastAtEpochMs = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets of a stopped connector would hold close() open otherwise.
        for (const socket of sockets) socket.destroy();
        server.close(() => void inflater.terminate().then(() => resolve()));
      }),
  };
}
