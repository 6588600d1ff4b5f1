// A worker thread of EncodePool: decodes a partition batch's values, filters and maps each event, and answers with
// their records as JSON text in UTF-8, in one transferred buffer. Started by EncodePool only (workerData: EncodeWorkerData).
import { parentPort, workerData } from 'node:worker_threads';
import { EventCodec, EventDecodeException, SchemaRegistryException, type AuditEvent } from '@vigil/events';
import { decodeEach, RegistryHttpClient } from '@vigil/kafka';
import { PreparedKind, type EncodeReply, type EncodeRequest, type EncodeWorkerData } from './encode-pool.codec';
import { connectorFilter, eventPreparer } from './prepared-event.mapper';

const data = workerData as EncodeWorkerData;
// Decoding only: the build's schema ids are looked up, never registered, from a worker.
const decoder = decodeEach(new EventCodec(new RegistryHttpClient(data.registry), { schemaIds: 'lookup' }));
// The module is the sink's own compiled file, named by the sink itself (SinkEncoding): a path known only at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const factories = require(data.encoding.module) as Record<string, (options: unknown) => (event: AuditEvent) => string>;
const factory = factories[data.encoding.factory];
if (factory === undefined) throw new Error(`${data.encoding.module} exports no encoder factory ${data.encoding.factory}`);
const prepare = eventPreparer(connectorFilter(data.filter), factory(data.encoding.options), data.format);

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
  const values = Array.from(request.starts, (start, i) => (start < 0 ? null : body.subarray(start, request.ends[i])));
  // The consumer host's own decoding rule: a transient failure (the registry away) ends the batch, any other failure
  // is that message's own.
  const results = await decoder.decodeAll(values, request.topic);
  const texts = new Array<string>(n).fill('');
  results.forEach((result, i) => {
    if ('error' in result) {
      const err = result.error;
      const error = err instanceof Error ? err : new Error(String(err));
      const code = (err as { code?: unknown }).code;
      reply.kinds[i] = PreparedKind.FAILED;
      texts[i] = error.message;
      reply.errors[i] = {
        name: error.name,
        ...(err instanceof EventDecodeException && { reason: err.reason }),
        ...(err instanceof SchemaRegistryException && err.status !== undefined && { status: err.status }),
        ...(typeof code === 'string' && { code }),
      };
      return;
    }
    const prepared = prepare(result.event);
    reply.ids[i] = prepared.id;
    reply.tenants[i] = prepared.tenantId;
    reply.times[i] = prepared.time;
    if (prepared.json !== undefined) {
      reply.kinds[i] = PreparedKind.RECORD;
      texts[i] = prepared.json;
    } else if (prepared.unmappable !== undefined) {
      reply.kinds[i] = PreparedKind.UNMAPPABLE;
      texts[i] = prepared.unmappable;
    } else reply.kinds[i] = PreparedKind.SKIPPED;
  });
  // Written once as UTF-8 here, where the thread has time, rather than joined and encoded on the main thread.
  // A buffer of its own, exactly sized (never node's shared pool), so it is transferred whole.
  let size = 0;
  for (const text of texts) size += Buffer.byteLength(text);
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  texts.forEach((text, i) => {
    if (text.length > 0) at += bytes.write(text, at);
    reply.ends[i] = at;
  });
  reply.bytes = bytes.buffer;
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
