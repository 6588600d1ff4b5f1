import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { EventDecodeException, SchemaRegistryException, type DecodeReason } from '@vigil/events';
import type { DecodeResult, MessageDecoder, SchemaRegistryOptions } from '@vigil/kafka';
import type { ConnectorFilterSpec, PreparedEvent } from './prepared-event.mapper';
import type { SinkEncoding } from './sink.types';

/** What a worker thread is started with (structured-cloned: plain data only). */
export interface EncodeWorkerData {
  registry: SchemaRegistryOptions;
  filter: ConnectorFilterSpec;
  encoding: SinkEncoding;
  format: string;
}

/** One partition batch for a worker: every value back to back in one transferred buffer; a null value has start -1. */
export interface EncodeRequest {
  id: number;
  topic: string;
  body: ArrayBuffer;
  starts: Int32Array;
  ends: Int32Array;
}

/** What a worker made of one message. */
export const PreparedKind = { RECORD: 0, SKIPPED: 1, UNMAPPABLE: 2, FAILED: 3 } as const;

/** A worker's answer, as parallel arrays (cheaper to clone than an object per event). */
export interface EncodeReply {
  id: number;
  kinds: Uint8Array;
  ids: string[];
  tenants: string[];
  times: Float64Array;
  /**
   * Every message's text back to back as UTF-8, in one transferred buffer: the record's JSON (RECORD), the unmappable
   * reason (UNMAPPABLE), the error message (FAILED), else nothing; message i's is `bytes[ends[i - 1] ?? 0, ends[i])`.
   * A record stays a slice of it up to the socket (`joinRecords`): no string is cloned, joined or encoded again on the
   * main thread.
   */
  bytes: ArrayBuffer;
  ends: Int32Array;
  /** For FAILED: the error's class and its fields, rebuilt on the main thread so it is classified as before. */
  errors: ({ name: string; reason?: DecodeReason; status?: number; code?: string } | null)[];
}

/** Left out by the connector's filters (or before a replay's start): read and committed, never handed over. */
const SKIPPED = { skipped: true } as const;

/** How long a thread may take over one partition batch (1 MB of events takes it well under a second). */
const REQUEST_TIMEOUT_MS = 60_000;

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (reply: EncodeReply) => void; reject: (err: Error) => void }>;
  /** Messages handed over and not answered yet. */
  load: number;
}

/**
 * Decodes, filters and maps a connector's partition batches in worker threads, so the main thread keeps only Kafka,
 * batching and HTTP. A batch goes whole to one thread and comes back in order, so each partition's order holds. The
 * threads decode with their own codec (the same registry, looked up, never registered) and encode with the sink's
 * `encoding`. Undecodable events come back as the codec's errors, rebuilt here, so the consumer host dead-letters
 * them with the same reasons; a registry outage still fails the batch to be retried. A thread that dies fails its
 * batches (retried by the host like any unknown failure) and is replaced.
 */
export class EncodePool implements MessageDecoder<PreparedEvent> {
  private readonly slots: (Slot | undefined)[];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly data: EncodeWorkerData,
    threads: number,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: Math.max(1, Math.floor(threads)) }, () => undefined);
  }

  get threads(): number {
    return this.slots.length;
  }

  async decodeAll(values: readonly (Buffer | null)[], topic: string): Promise<DecodeResult<PreparedEvent>[]> {
    if (values.length === 0) return [];
    const reply = await this.request(values, topic);
    const results = new Array<DecodeResult<PreparedEvent>>(values.length);
    const bytes = Buffer.from(reply.bytes);
    for (let i = 0; i < values.length; i++) {
      const kind = reply.kinds[i];
      if (kind === PreparedKind.SKIPPED) {
        results[i] = SKIPPED;
        continue;
      }
      const text = bytes.subarray(i === 0 ? 0 : reply.ends[i - 1], reply.ends[i]);
      if (kind === PreparedKind.FAILED) {
        results[i] = { error: rebuildError(text.toString(), reply.errors[i] ?? null) };
        continue;
      }
      const event: PreparedEvent = {
        id: reply.ids[i] ?? '',
        tenantId: reply.tenants[i] ?? '',
        time: reply.times[i] ?? 0,
        record: kind === PreparedKind.RECORD ? text : undefined,
      };
      if (kind === PreparedKind.UNMAPPABLE) event.unmappable = text.toString();
      results[i] = { event };
    }
    return results;
  }

  /** Stops every thread; batches in flight fail (they are uncommitted, so read again after a restart). */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) if (slot !== undefined) await slot.worker.terminate();
  }

  private request(values: readonly (Buffer | null)[], topic: string): Promise<EncodeReply> {
    if (this.closed) return Promise.reject(new Error('the encode pool is closed'));
    let size = 0;
    for (const value of values) size += value?.length ?? 0;
    // A buffer of its own (never node's shared pool), so transferring it detaches nothing else.
    const body = Buffer.allocUnsafeSlow(size);
    const starts = new Int32Array(values.length);
    const ends = new Int32Array(values.length);
    let at = 0;
    values.forEach((value, i) => {
      if (value === null) {
        starts[i] = -1;
        return;
      }
      starts[i] = at;
      at += value.copy(body, at);
      ends[i] = at;
    });
    const slot = this.leastLoaded();
    const id = this.nextId++;
    slot.load += values.length;
    // A thread stuck on a batch (an encoder that never returns) is ended: its batches fail and are retried.
    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs: REQUEST_TIMEOUT_MS }, 'an encode worker thread did not answer in time; replacing it');
      void slot.worker.terminate();
    }, REQUEST_TIMEOUT_MS);
    timer.unref();
    return new Promise<EncodeReply>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const request: EncodeRequest = { id, topic, body: body.buffer, starts, ends };
      slot.worker.postMessage(request, [request.body, starts.buffer, ends.buffer]);
    }).finally(() => {
      clearTimeout(timer);
      slot.load -= values.length;
    });
  }

  private leastLoaded(): Slot {
    let best: Slot | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i] ?? this.spawn(i);
      if (best === undefined || slot.load < best.load) best = slot;
    }
    if (best === undefined) throw new Error('an encode pool has at least one thread');
    return best;
  }

  private spawn(index: number): Slot {
    const worker = new Worker(path.join(__dirname, 'encode-worker.bootstrap.js'), { workerData: this.data });
    // The pool's threads must not keep a stopping process alive; a batch in flight holds its own promise.
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), load: 0 };
    worker.on('message', (reply: EncodeReply) => {
      const waiter = slot.pending.get(reply.id);
      slot.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    const fail = (err: Error): void => {
      if (this.slots[index] === slot) this.slots[index] = undefined;
      for (const waiter of slot.pending.values()) waiter.reject(err);
      slot.pending.clear();
    };
    worker.on('error', (err: Error) => {
      this.logger.error({ err: err.message }, 'an encode worker thread failed; its batches are retried on a new one');
      fail(new Error(`encode worker thread failed: ${err.message}`));
    });
    worker.on('exit', (code) => fail(new Error(`encode worker thread exited (code ${code})`)));
    this.slots[index] = slot;
    return slot;
  }
}

function rebuildError(message: string, error: EncodeReply['errors'][number]): Error {
  if (error?.name === 'EventDecodeException' && error.reason !== undefined) return new EventDecodeException(message, error.reason);
  if (error?.name === 'SchemaRegistryException') return new SchemaRegistryException(message, error.status);
  // Name and code kept, so it is classified (failure-class.mapper) as it would have been on this thread.
  return Object.assign(new Error(message), { name: error?.name ?? 'Error' }, error?.code !== undefined && { code: error.code });
}
