// A worker thread of EncodePool: decodes a partition batch's values, filters and maps each event, and answers with
// their records as JSON text in UTF-8, in one transferred buffer. Started by EncodePool only (workerData: EncodeWorkerData).
import { parentPort, workerData } from 'node:worker_threads';
import { categoryOfTopic, EventCodec, EventDecodeException, SchemaRegistryException, type AuditEvent } from '@vigil/events';
import { classifyFailure, RegistryHttpClient } from '@vigil/kafka';
import { PreparedKind, type EncodeReply, type EncodeRequest, type EncodeWorkerData } from './encode-pool.codec';
import { connectorFilter, eventPreparer } from './prepared-event.mapper';

const data = workerData as EncodeWorkerData;
// Decoding only: the build's schema ids are looked up, never registered, from a worker.
const codec = new EventCodec(new RegistryHttpClient(data.registry), { schemaIds: 'lookup' });
// The module is the sink's own compiled file, named by the sink itself (SinkEncoding): a path known only at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const factories = require(data.encoding.module) as Record<string, (options: unknown) => (event: AuditEvent) => string>;
const factory = factories[data.encoding.factory];
if (factory === undefined) throw new Error(`${data.encoding.module} exports no encoder factory ${data.encoding.factory}`);
const prepare = eventPreparer(connectorFilter(data.filter), factory(data.encoding.options), data.format);

/** Of the capacity a batch's text buffer was given, the part left unused that is transferred as it is, not copied. */
const MAX_UNUSED_SHARE = 0.25;
/** Room over the text bytes per value byte the recent batches needed (TextSizer), so most fit without growing. */
const HEADROOM = 1.1;
/**
 * The bounds of TextSizer's ratio: a batch of tiny undecodable values (an error message each) or of heavily escaped
 * texts must not make the next megabyte batch reserve fifty times its size, nor a filtered one start the next at 1 KiB.
 */
const MIN_RATIO = 0.5;
const MAX_RATIO = 8;

/**
 * How many text bytes a batch makes per byte of its values, learnt from the batches before: a Datadog entry is about
 * four times its Avro, a Splunk event about twice. A fixed guess either grew the buffer (a copy of everything written
 * so far) or left much of it empty, and an empty part was copied away before the transfer: two to three copies of
 * every text byte, into new memory each time (the CPU profiler charged a tenth of this thread to them; the connector's
 * CPU per event did not move measurably, but each text byte is now written once). The estimate follows a
 * larger ratio at once and a smaller one slowly, within MIN_RATIO and MAX_RATIO; a text longer than that grows the
 * buffer as before.
 */
class TextSizer {
  private ratio = 3;

  capacity(valueBytes: number): number {
    return Math.max(1024, Math.ceil(valueBytes * this.ratio * HEADROOM));
  }

  /** `valueBytes`: the values of the messages that wrote text (skipped ones write none, and teach nothing). */
  learn(valueBytes: number, textBytes: number): void {
    if (valueBytes < 1024 || textBytes === 0) return;
    const seen = Math.min(MAX_RATIO, Math.max(MIN_RATIO, textBytes / valueBytes));
    this.ratio = seen >= this.ratio ? seen : Math.max(seen, this.ratio * 0.9);
  }
}

/** The batch's texts as UTF-8, written one after another into a buffer of its own (transferred whole). */
class TextWriter {
  private out: Buffer;
  at = 0;

  constructor(capacity: number) {
    this.out = Buffer.allocUnsafeSlow(capacity);
  }

  write(text: string): void {
    if (text.length === 0) return;
    // At most 3 bytes per UTF-16 unit: counted exactly only when that much room is not left.
    if (this.out.length - this.at < text.length * 3) {
      const need = Buffer.byteLength(text);
      if (this.out.length - this.at < need) {
        const grown = Buffer.allocUnsafeSlow(Math.max(Math.ceil(this.out.length * 1.5), this.at + need));
        grown.set(this.out.subarray(0, this.at));
        this.out = grown;
      }
    }
    this.at += this.out.write(text, this.at);
  }

  /**
   * The bytes written, in the buffer they were written to when at most MAX_UNUSED_SHARE of it is left over, else in a
   * buffer of exactly their size: each record stays a view of it until it is delivered, so the unused part is memory
   * held as long as the batch is.
   */
  get buffer(): ArrayBuffer {
    const unused = this.out.length - this.at;
    if (unused <= this.out.length * MAX_UNUSED_SHARE) return this.out.buffer as ArrayBuffer;
    const exact = Buffer.allocUnsafeSlow(this.at);
    exact.set(this.out.subarray(0, this.at));
    return exact.buffer;
  }
}

const sizer = new TextSizer();

function failure(err: unknown): { message: string; error: EncodeReply['errors'][number] } {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown }).code;
  return {
    message: error.message,
    error: {
      name: error.name,
      ...(err instanceof EventDecodeException && { reason: err.reason }),
      ...(err instanceof SchemaRegistryException && err.status !== undefined && { status: err.status }),
      ...(typeof code === 'string' && { code }),
    },
  };
}

/**
 * Decodes, filters, maps and writes each event in one pass, so an event's objects and text die young (decoding the
 * whole batch first kept thousands alive across the young generation's collections, and the garbage collector's
 * threads took as much of the machine as the encoding).
 */
async function answer(request: EncodeRequest): Promise<EncodeReply> {
  const body = Buffer.from(request.body);
  const n = request.starts.length;
  const reply: EncodeReply = {
    id: request.id,
    kinds: new Uint8Array(n),
    ids: new Array<string>(n).fill(''),
    tenants: new Array<string>(n).fill(''),
    times: new Float64Array(n),
    bytes: new ArrayBuffer(0),
    ends: new Int32Array(n),
    errors: new Array<EncodeReply['errors'][number]>(n).fill(null),
  };
  const texts = new TextWriter(sizer.capacity(body.length));
  // The consumer host's own decoding rule (decodeEach): a transient failure (the registry away) ends the batch, every
  // later message gets the same error; any other failure is that message's own.
  let transient: unknown;
  // A replay skips the events before its start: told from the bytes where the writer schema allows (EventCodec.peekTime).
  const floor = data.filter.fromTimeMicros;
  const category = floor === undefined ? undefined : categoryOfTopic(request.topic);
  // Value bytes of the messages that wrote text: what the sizer learns the ratio from.
  let textValues = 0;
  for (let i = 0; i < n; i++) {
    const start = request.starts[i] ?? -1;
    const value = start < 0 ? null : body.subarray(start, request.ends[i]);
    const before = texts.at;
    if (floor !== undefined && category !== undefined && transient === undefined && (codec.peekTime(value, category) ?? floor) < floor) {
      reply.kinds[i] = PreparedKind.SKIPPED;
      reply.ends[i] = texts.at;
      continue;
    }
    let event: AuditEvent | undefined;
    let err: unknown = transient;
    if (transient === undefined) {
      try {
        event = await codec.decode(value, request.topic);
      } catch (error) {
        err = error;
        if (classifyFailure(error).kind === 'transient') transient = error;
      }
    }
    if (event === undefined) {
      const { message, error } = failure(err);
      reply.kinds[i] = PreparedKind.FAILED;
      reply.errors[i] = error;
      texts.write(message);
    } else {
      const prepared = prepare(event);
      reply.ids[i] = prepared.id;
      reply.tenants[i] = prepared.tenantId;
      reply.times[i] = prepared.time;
      if (prepared.json !== undefined) {
        reply.kinds[i] = PreparedKind.RECORD;
        texts.write(prepared.json);
      } else if (prepared.unmappable !== undefined) {
        reply.kinds[i] = PreparedKind.UNMAPPABLE;
        texts.write(prepared.unmappable);
      } else reply.kinds[i] = PreparedKind.SKIPPED;
    }
    reply.ends[i] = texts.at;
    if (texts.at > before) textValues += value?.length ?? 0;
  }
  sizer.learn(textValues, texts.at);
  reply.bytes = texts.buffer;
  return reply;
}

parentPort?.on('message', (request: EncodeRequest) => {
  void answer(request).then(
    (reply) =>
      parentPort?.postMessage(reply, [
        reply.kinds.buffer as ArrayBuffer,
        reply.times.buffer as ArrayBuffer,
        reply.ends.buffer as ArrayBuffer,
        reply.bytes,
      ]),
    // answer() catches per message; anything else is a bug of the thread: it dies, and the pool fails the batch.
    (err: unknown) =>
      setImmediate(() => {
        throw err;
      }),
  );
});
