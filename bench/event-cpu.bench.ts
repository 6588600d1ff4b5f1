// Per-event CPU of the work Vigil does on one thread for every event, in this process, without Kafka, PostgreSQL or
// HTTP, each against a raw baseline over the very same bytes or events in the same run (issue 18):
//  - decode: EventCodec.decode (framing, the Avro bounds walk, avsc through the reader schema, the plain event every
//    consumer gets) against avsc's own fromBuffer of the same bodies into its record instances, nothing checked;
//  - SIEM document: decode + the Splunk HEC document as JSON (a connector's and replay's work per event, less Kafka
//    and HTTP) against the raw decode + JSON.stringify of avsc's record;
//  - SDK: AuditPublisher.prepare (complete + validate) + Avro encoding against avsc's toBuffer of the same events;
//  - Datadog entry, Sentinel row: decode + the sink's own encoder (what a connector's encode thread does per event for
//    those SIEMs, before gzip) against the same raw decode + JSON.stringify;
//  - store row: the materializer's work per event in Node (decode, toRow, the chain form, its link, the COPY line)
//    against the raw decode + JSON.stringify of avsc's record.
// The end-to-end benchmarks (connector, replay, sdk-publish) vary 20% from run to run on a shared 2-core machine; a
// single thread's CPU per event does not, so this is where a change to the per-event work shows (docs/performance.md).
import avsc from 'avsc';
import { AuditPublisher, type AuditEventInput } from '@vigil/audit-sdk';
import { EventCodec, TOPIC_SCHEMAS, type AuditEvent, type SchemaRegistryPort } from '@vigil/events';
import { mapperFor } from '@vigil/formats';
import { chainFormText, linkHexOfText } from '@vigil/integrity';
import { datadogEncoder, sentinelEncoder } from '@vigil/sinks';
import { copyLine, toRow } from '@vigil/store';
import { benchEnv } from '@vigil/testing';
import { benchEvent, benchInput } from './lib/bench-event.factory';
import { machine, median, writeReport, type Measurement } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 200_000;
/** Distinct events cycled through (their bytes stay in cache as a consumer's fetched batch would). */
const DISTINCT = 5_000;
const ROUNDS = 20;
const SCHEMA_ID = 1;
const TOPIC = 'audit.authentication';

/**
 * The topic schema under one id, in process: no registry round trip is measured, and every message is read without an
 * avsc resolver (its writer schema is the build's own), as nearly every real one is.
 */
const registry: SchemaRegistryPort = {
  register: () => Promise.resolve(SCHEMA_ID),
  lookup: () => Promise.resolve(SCHEMA_ID),
  schemaById: () => Promise.resolve(TOPIC_SCHEMAS.authentication),
};

/** CPU seconds (user + system, every thread: the garbage collector's helpers too) of `step` over `events` calls. */
async function cpuSeconds(step: (i: number) => unknown, events: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < events; i++) {
    const result = step(i);
    if (result instanceof Promise) await result;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * Events per CPU-second of `step` and of its `baseline`, and their ratio: ROUNDS rounds (after one that warms the JIT
 * up), each timing a slice of one and a slice of the other, in turns, so both see the same machine; the medians of the rounds.
 * CPU time rather than the clock: on a shared virtual machine the clock also counts time the host gave to others. The
 * speed of these machines still drifts within a run, so only the ratio of neighbouring slices is worth comparing.
 */
async function compare(
  step: (i: number) => unknown,
  baseline: (i: number) => unknown,
): Promise<{ rate: number; baseline: number; ratio: number }> {
  const slice = Math.ceil(EVENTS / ROUNDS);
  const rates: number[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    // Which goes first alternates: process CPU time counts the garbage collector's helper threads, which may still be
    // collecting the first slice's garbage during the second.
    let measured: number;
    let base: number;
    if (round % 2 === 0) {
      measured = slice / (await cpuSeconds(step, slice));
      base = slice / (await cpuSeconds(baseline, slice));
    } else {
      base = slice / (await cpuSeconds(baseline, slice));
      measured = slice / (await cpuSeconds(step, slice));
    }
    if (round === 0) continue;
    rates.push(measured);
    baselines.push(base);
    ratios.push(measured / base);
  }
  return { rate: median(rates), baseline: median(baselines), ratio: median(ratios) };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const codec = new EventCodec(registry, { schemaIds: 'register' });
  const now = Date.now() * 1000;
  const events: AuditEvent[] = Array.from({ length: DISTINCT }, (_, i) => benchEvent(i, 'bench', now + i));
  const messages = events.map((event) => codec.encodeWithId(SCHEMA_ID, event));
  const bodies = messages.map((message) => message.subarray(5));
  // A plain avsc type of the same schema: record instances, no bounds walk, no unwrapped attributes.
  const rawType = avsc.Type.forSchema(TOPIC_SCHEMAS.authentication as avsc.Schema);
  const hec = mapperFor('hec', {});
  const publisher = new AuditPublisher({
    // prepare() touches neither: nothing connects.
    kafka: { brokers: ['127.0.0.1:9'] },
    schemaRegistry: { url: 'http://127.0.0.1:9' },
    service: { name: 'bench', version: '1.0.0' },
  });
  // The sdk-publish benchmark's inputs, so this CPU per event is that benchmark's SDK work.
  const inputs = Array.from({ length: DISTINCT }, (_, i) => benchInput(i, 'bench'));
  const prepared = inputs.map((i) => publisher.prepare(i));
  // avsc's writer takes the attributes wrapped, as the SDK hands them to it.
  const rawRecords = prepared.map((event): unknown => rawType.fromBuffer(codec.encodeWithId(SCHEMA_ID, event).subarray(5)));

  // The baseline of every step that decodes and writes text: avsc's decode and JSON.stringify of its record.
  const rawDecodeJson = (i: number): string => JSON.stringify(rawType.fromBuffer(bodies[i % DISTINCT] as Buffer));

  const decode = await compare(
    (i) => codec.decode(messages[i % DISTINCT] as Buffer, TOPIC),
    (i) => rawType.fromBuffer(bodies[i % DISTINCT] as Buffer),
  );
  const document = await compare(
    async (i) => JSON.stringify(hec.toRecord(await codec.decode(messages[i % DISTINCT] as Buffer, TOPIC))),
    rawDecodeJson,
  );
  const sdk = await compare(
    (i) => codec.encodeWithId(SCHEMA_ID, publisher.prepare(inputs[i % DISTINCT] as AuditEventInput)),
    (i) => rawType.toBuffer(rawRecords[i % DISTINCT]),
  );

  // The bench connector's Datadog settings (source, service, one tag of its own), and Sentinel's ASIM row.
  const datadogEntry = datadogEncoder({
    settings: { source: 'vigil', service: 'vigil', hostname: undefined, tags: ['env:bench'] },
    extraFields: undefined,
  });
  const datadog = await compare(async (i) => datadogEntry(await codec.decode(messages[i % DISTINCT] as Buffer, TOPIC)), rawDecodeJson);
  const sentinelRow = sentinelEncoder();
  const sentinel = await compare(async (i) => sentinelRow(await codec.decode(messages[i % DISTINCT] as Buffer, TOPIC)), rawDecodeJson);

  // One chain's head moving event after event, as the materializer links a tenant's events.
  let head = '0'.repeat(64);
  const store = await compare(async (i) => {
    const event = await codec.decode(messages[i % DISTINCT] as Buffer, TOPIC);
    const row = toRow(event, { topic: TOPIC, partition: 0, offset: String(i) });
    head = linkHexOfText(head, chainFormText(event));
    row.chainSeq = String(i + 1);
    row.chainHash = head;
    return copyLine(row);
  }, rawDecodeJson);

  const perEvent = (eventsPerSecond: number): Measurement['extra'] => ({ microsPerEvent: Math.round((1e6 / eventsPerSecond) * 100) / 100 });
  writeReport({
    bench: 'event-cpu',
    startedAt,
    machine: machine(),
    parameters: {
      events: EVENTS,
      distinct: DISTINCT,
      rounds: ROUNDS,
      avroBytesPerEvent: Math.round(bodies.reduce((n, b) => n + b.length, 0) / DISTINCT),
    },
    measurements: [
      {
        name: 'decode: EventCodec.decode (bounds, reader schema, plain event)',
        value: decode.rate,
        unit: 'events/CPU-s',
        extra: perEvent(decode.rate),
      },
      { name: 'raw avsc fromBuffer of the same bodies', value: decode.baseline, unit: 'events/CPU-s', extra: perEvent(decode.baseline) },
      { name: 'SIEM document: decode + Splunk HEC JSON', value: document.rate, unit: 'events/CPU-s', extra: perEvent(document.rate) },
      { name: 'raw avsc fromBuffer + JSON.stringify', value: document.baseline, unit: 'events/CPU-s', extra: perEvent(document.baseline) },
      { name: 'Datadog entry: decode + datadogEncoder', value: datadog.rate, unit: 'events/CPU-s', extra: perEvent(datadog.rate) },
      {
        name: 'raw avsc fromBuffer + JSON.stringify (Datadog)',
        value: datadog.baseline,
        unit: 'events/CPU-s',
        extra: perEvent(datadog.baseline),
      },
      { name: 'Sentinel row: decode + sentinelEncoder', value: sentinel.rate, unit: 'events/CPU-s', extra: perEvent(sentinel.rate) },
      {
        name: 'raw avsc fromBuffer + JSON.stringify (Sentinel)',
        value: sentinel.baseline,
        unit: 'events/CPU-s',
        extra: perEvent(sentinel.baseline),
      },
      { name: 'SDK: prepare (complete + validate) + Avro encode', value: sdk.rate, unit: 'events/CPU-s', extra: perEvent(sdk.rate) },
      { name: 'raw avsc toBuffer of the same events', value: sdk.baseline, unit: 'events/CPU-s', extra: perEvent(sdk.baseline) },
      {
        name: 'store row: decode + toRow + chain form + link + COPY line',
        value: store.rate,
        unit: 'events/CPU-s',
        extra: perEvent(store.rate),
      },
      {
        name: 'raw avsc fromBuffer + JSON.stringify (again)',
        value: store.baseline,
        unit: 'events/CPU-s',
        extra: perEvent(store.baseline),
      },
    ],
    ratios: {
      'decode / raw avsc decode': decode.ratio,
      'SIEM document / raw decode + JSON': document.ratio,
      'Datadog entry / raw decode + JSON': datadog.ratio,
      'Sentinel row / raw decode + JSON': sentinel.ratio,
      'SDK prepare + encode / raw avsc encode': sdk.ratio,
      'store row / raw decode + JSON': store.ratio,
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
