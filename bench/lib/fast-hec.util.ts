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
const EVENT_START = '{"time":';

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * A Splunk HEC that accepts everything and only counts: the Vigil side, not the SIEM, is what a benchmark measures.
 * No token check and no acknowledgements, so connectors using it must leave `ack` and `gzip` off.
 */
export async function startFastHec(options: FastHecOptions = {}): Promise<FastHec> {
  const { marker, latencyMs = 0 } = options;
  let received = 0;
  let marked = 0;
  let firstAt: bigint | undefined;
  let lastAt: bigint | undefined;
  let lastAtEpochMs: number | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url?.startsWith('/services/collector/event') === true) {
        const events = occurrences(body, EVENT_START);
        const counted = marker === undefined ? events : occurrences(body, marker);
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
