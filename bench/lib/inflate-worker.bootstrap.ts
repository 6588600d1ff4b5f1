// The fast SIEM double's inflater (fast-hec.util.ts): inflates each gzipped body it is sent and answers how many
// times each needle occurs in it. It runs in a thread of its own so that a body's inflated megabytes are allocated in
// a small heap: in the double's own thread they made V8 mark its whole heap every 150-250 ms (external memory), and
// that marking took a tenth of the two cores the connector under test runs on.
import { parentPort, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

/** What the double starts the thread with: the needles it counts (matched as UTF-8 bytes). */
export interface InflateWorkerData {
  needles: string[];
}

export interface InflateRequest {
  id: number;
  /** The body as received, still gzipped. */
  body: Uint8Array;
}

/** The count of each needle, in the order of `InflateWorkerData.needles`; undefined when the body did not inflate. */
export interface InflateReply {
  id: number;
  counts: number[] | undefined;
}

/** How often `needle` occurs in `bytes`, occurrences not overlapping. */
export function countOf(bytes: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + needle.length)) count++;
  return count;
}

if (parentPort !== null) {
  const port = parentPort;
  const needles = (workerData as InflateWorkerData).needles.map((needle) => Buffer.from(needle));
  port.on('message', ({ id, body }: InflateRequest) => {
    let counts: number[] | undefined;
    try {
      // One output chunk for a whole request of a sink (Datadog's 5 MB at most) rather than 16 KiB ones.
      const inflated = gunzipSync(body, { chunkSize: 1024 * 1024 });
      counts = needles.map((needle) => countOf(inflated, needle));
    } catch {
      counts = undefined;
    }
    port.postMessage({ id, counts } satisfies InflateReply);
  });
}
