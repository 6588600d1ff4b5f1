import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FastHecOptions {
  /**
   * A string that occurs exactly once in each event the benchmark counts (e.g. `"tenant_id":"<tenant>-`). When set,
   * `marked`, `firstAt` and `lastAt` cover only requests holding it, so events other runs publish to the same topic
   * on a shared stack do not move the timing. Unset: every event counts.
   */
  marker?: string;
  /** Milliseconds before each answer, as a SIEM across a network takes (default 0). */
  latencyMs?: number;
}

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

/** HEC's own separator-free batch: one JSON object per event, each starting with its time. */
const EVENT_START = Buffer.from('{"time":');

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
    for (let at = chunk.indexOf(needle); at !== -1; at = chunk.indexOf(needle, at + needle.length)) this.count++;
    // The last needle.length - 1 bytes seen, across chunks shorter than that.
    const seen = chunk.length >= needle.length - 1 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(seen.subarray(Math.max(0, seen.length - needle.length + 1)));
  }
}

/**
 * A Splunk HEC that accepts everything and only counts: the Vigil side, not the SIEM, is what a benchmark measures.
 * No token check and no acknowledgements, so connectors using it must leave `ack` and `gzip` off.
 */
export async function startFastHec(options: FastHecOptions = {}): Promise<FastHec> {
  const { latencyMs = 0 } = options;
  const marker = options.marker === undefined ? undefined : Buffer.from(options.marker);
  let received = 0;
  let marked = 0;
  let firstAt: bigint | undefined;
  let lastAt: bigint | undefined;
  let lastAtEpochMs: number | undefined;
  const server = createServer((req, res) => {
    const starts = new NeedleCounter(EVENT_START);
    const marks = marker === undefined ? undefined : new NeedleCounter(marker);
    req.on('data', (chunk: Buffer) => {
      starts.add(chunk);
      marks?.add(chunk);
    });
    req.on('end', () => {
      if (req.url?.startsWith('/services/collector/event') === true) {
        const events = starts.count;
        const counted = marks === undefined ? events : marks.count;
        received += events;
        if (counted > 0) {
          marked += counted;
          firstAt ??= process.hrtime.bigint();
          lastAt = process.hrtime.bigint();
          lastAtEpochMs = Date.now();
        }
      }
      const answer = (): void => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
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
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
