// Forwarding rate of the Datadog, Microsoft Sentinel and Elasticsearch/OpenSearch sinks (issue 14): BENCH_EVENTS
// (default 100,000) pre-encoded events are produced to audit.authentication, then a connector of each type (the same
// runner the connector apps and streams use, in this process) reads that range from its start and delivers it: the
// Datadog and Sentinel sinks to a fast local double of their SIEM, which only unzips and counts (timed to the last
// event at the double); the OpenSearch sink to the test stack's real OpenSearch 2.19 node (timed until `_count` shows
// every document). Baselines of the same run: a raw kafkajs consume of the same range, which neither decodes nor
// sends; for OpenSearch also the same ECS documents posted straight to `_bulk` (1,000 a request), the node's ceiling.
// The Datadog and Sentinel rows measure the sinks with decoding and mapping on this process's main thread, beside the
// double: the connector apps decode and map in encode threads, and `npm run bench -- connector` measures those apps.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { Clock } from '@vigil/common';
import {
  ConnectorRunner,
  ConnectorStatusService,
  secretFrom,
  type ConnectorDefinition,
  type ConnectorTypeSpec,
  type Sink,
} from '@vigil/connector';
import { EventCodec, type AuditEvent } from '@vigil/events';
import { createKafka, createRawProducer, DeadLetterProducer, KafkaAdminService, RegistryHttpClient } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { EcsMapper } from '@vigil/formats';
import {
  DatadogConnector,
  datadogSpec,
  ElasticsearchConnector,
  elasticsearchSpec,
  SentinelConnector,
  sentinelSpec,
  type DatadogSettings,
  type ElasticsearchSettings,
  type SentinelSettings,
} from '@vigil/sinks';
import { benchEnv, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { benchEvent } from './lib/bench-event.factory';
import { rawConsume } from './lib/raw-consume.util';
import { machine, round, writeReport, type Measurement } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
const TOPIC = 'audit.authentication';
const logger = pino({ level: 'warn' });
const TENANT_GUID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const DCR = `dcr-${'0'.repeat(32)}`;

/** A SIEM that accepts everything and counts the entries holding `marker` (one per event). */
class CountingDouble {
  private server!: Server;
  count = 0;
  lastAt = 0n;

  constructor(private readonly marker: string) {}

  async start(): Promise<string> {
    this.server = createServer(
      (req, res) =>
        void this.handle(req).then((status) =>
          res
            .writeHead(status, { 'content-type': 'application/json' })
            .end(status === 200 ? JSON.stringify({ access_token: 't', expires_in: 3600 }) : ''),
        ),
    );
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    if ((req.url ?? '').includes('/oauth2/v2.0/token')) return 200;
    const raw = Buffer.concat(chunks);
    const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    for (let at = text.indexOf(this.marker); at !== -1; at = text.indexOf(this.marker, at + 1)) this.count++;
    this.lastAt = process.hrtime.bigint();
    return (req.url ?? '').includes('/dataCollectionRules/') ? 204 : 202;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function definition<S>(spec: ConnectorTypeSpec<S>, settings: Record<string, unknown>): ConnectorDefinition<S> {
  return {
    name: uniqueName(`bench-${spec.type}`),
    type: spec.type,
    enabled: true,
    categories: ['authentication'],
    actions: { include: ['*'], exclude: [] },
    minSeverity: 'INFO',
    format: 'native',
    batch: { maxEvents: 1000, maxBytes: 4_500_000, lingerMs: 50 },
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    startFrom: 'earliest',
    tenants: 'all',
    settings: spec.settings(secretFrom({ BENCH_SECRET: 'bench-secret' })).parse(settings),
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'bench-sinks' }, logger);
  const admin = new KafkaAdminService(kafka, { brokers: testEnv.kafkaBrokers, clientId: 'bench-sinks' });
  const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }));
  const schemaId = await codec.schemaId('authentication');
  const ends = async (): Promise<Map<number, bigint>> =>
    new Map((await admin.watermarks(TOPIC)).map((w) => [w.partition, BigInt(w.high)] as const));
  const starts = await ends();
  const producer = createRawProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tenant = uniqueName('bench-sinks');
  const now = Date.now() * 1000;
  const events: AuditEvent[] = [];
  for (let i = 0; i < EVENTS; i += 5000) {
    const chunk = Array.from({ length: Math.min(5000, EVENTS - i) }, (_, j) => benchEvent(i + j, tenant, now + i + j, now));
    events.push(...chunk);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic: TOPIC, messages: chunk.map((e) => ({ key: e.tenantId, value: codec.encodeWithId(schemaId, e) })) }],
    });
  }
  await producer.disconnect();
  const stops = await ends();
  const from = new Map([[TOPIC, new Map([...starts].map(([p, o]) => [p, o.toString()]))]]);
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  const raw = await rawConsume(kafka, TOPIC, starts, stops);
  measurements.push({
    name: 'raw kafkajs consume of the same range',
    value: raw.messages / raw.seconds,
    unit: 'msg/s',
    extra: { messages: raw.messages },
  });
  const cases: { name: string; marker: string; connector: (url: string) => ConnectorDefinition; sink: (c: ConnectorDefinition) => Sink }[] =
    [
      {
        name: 'datadog',
        marker: `"ddsource":"vigil","ddtags":"tenant:${tenant}-`,
        connector: (url) => definition(datadogSpec, { url: `${url}/api/v2/logs`, allowInsecureHttp: true, apiKeyEnv: 'BENCH_SECRET' }),
        sink: (c) => new DatadogConnector(c as ConnectorDefinition<DatadogSettings>, logger),
      },
      {
        name: 'sentinel',
        marker: `"VigilTenantId":"${tenant}-`,
        connector: (url) =>
          definition(sentinelSpec, {
            endpoint: url,
            authorityHost: url,
            dcrImmutableId: DCR,
            tenantId: TENANT_GUID,
            clientId: TENANT_GUID,
            clientSecretEnv: 'BENCH_SECRET',
            allowInsecureHttp: true,
          }),
        sink: (c) => new SentinelConnector(c as ConnectorDefinition<SentinelSettings>, logger),
      },
    ];
  for (const { name, marker, connector: connectorAt, sink } of cases) {
    const double = new CountingDouble(marker);
    const url = await double.start();
    const status = new ConnectorStatusService(new MetricsService(), new Clock());
    const connector = connectorAt(url);
    const built = sink(connector);
    const deadLetters = new DeadLetterProducer(kafka, `bench-${name}`);
    const runner = new ConnectorRunner(connector, { kafka, codec, sink: built, deadLetters, status, logger });
    const started = process.hrtime.bigint();
    await runner.start({ from });
    await waitFor(
      () => double.count,
      (n) => n >= EVENTS,
      `every event at the ${name} double`,
      900_000,
    );
    const seconds = Number(double.lastAt - started) / 1e9;
    await runner.stop();
    await deadLetters.close();
    await double.close();
    measurements.push({
      name: `${name} sink: catch-up to a fast double`,
      value: EVENTS / seconds,
      unit: 'events/s',
      extra: { events: EVENTS, seconds },
    });
    ratios[`${name} events/s vs raw consume msg/s`] = round(EVENTS / seconds / (raw.messages / raw.seconds));
  }
  const opensearch = await benchOpenSearch(events, { kafka, codec, from });
  measurements.push(...opensearch.measurements);
  ratios['opensearch sink events/s vs raw _bulk docs/s'] = opensearch.ratio;
  await admin.close();
  writeReport({
    bench: 'sinks',
    startedAt,
    machine: machine(),
    parameters: { events: EVENTS, batchMaxEvents: 1000 },
    measurements,
    ratios,
  });
}

/** Documents searchable under an index pattern of the test stack's OpenSearch node (refreshed first). */
async function countDocuments(pattern: string): Promise<number> {
  const node = testEnv.opensearchUrl;
  await fetch(`${node}/${pattern}/_refresh?allow_no_indices=true`, { method: 'POST' });
  const answer = (await (await fetch(`${node}/${pattern}/_count?allow_no_indices=true`)).json()) as { count?: number };
  return answer.count ?? 0;
}

/** The sink to the real node, against the same documents posted straight to `_bulk`; both index sets are deleted after. */
async function benchOpenSearch(
  events: readonly AuditEvent[],
  deps: Pick<ConstructorParameters<typeof ConnectorRunner>[1], 'kafka' | 'codec'> & { from: Map<string, Map<number, string>> },
): Promise<{ measurements: Measurement[]; ratio: number }> {
  const node = testEnv.opensearchUrl;
  const rawPrefix = uniqueName('vigil-bench-raw').toLowerCase();
  const sinkPrefix = uniqueName('vigil-bench-sink').toLowerCase();
  const layout = (prefix: string): ConnectorDefinition<ElasticsearchSettings> =>
    definition(elasticsearchSpec, { url: node, allowInsecureHttp: true, prefix });
  try {
    // Baseline: the sink's own template and ECS documents, but posted by a plain loop, one request at a time.
    const placer = new ElasticsearchConnector(layout(rawPrefix), logger);
    await placer.prepared(AbortSignal.timeout(30_000));
    const mapper = new EcsMapper();
    const rawStarted = process.hrtime.bigint();
    for (let i = 0; i < events.length; i += 1000) {
      const body = events
        .slice(i, i + 1000)
        .map((e) => `${JSON.stringify({ create: { _index: placer.indexOf(e), _id: e.id } })}\n${JSON.stringify(mapper.toRecord(e))}\n`)
        .join('');
      const res = await fetch(`${node}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      const answer = (await res.json()) as { errors?: boolean };
      if (!res.ok || answer.errors === true) throw new Error(`raw _bulk failed: HTTP ${res.status}`);
    }
    const rawSeconds = Number(process.hrtime.bigint() - rawStarted) / 1e9;
    if ((await countDocuments(`${rawPrefix}-*`)) !== events.length) throw new Error('the raw _bulk baseline lost documents');

    const connector = { ...layout(sinkPrefix), format: 'ecs' as const };
    const status = new ConnectorStatusService(new MetricsService(), new Clock());
    const deadLetters = new DeadLetterProducer(deps.kafka, 'bench-opensearch');
    const runner = new ConnectorRunner(connector, {
      ...deps,
      sink: new ElasticsearchConnector(connector, logger),
      deadLetters,
      status,
      logger,
    });
    const started = process.hrtime.bigint();
    await runner.start({ from: deps.from });
    await waitFor(
      () => status.get(connector.name)?.eventsSent ?? 0,
      (n) => n >= events.length,
      'every event acknowledged by OpenSearch',
      900_000,
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await runner.stop();
    await deadLetters.close();
    const stored = await countDocuments(`${sinkPrefix}-*`);
    if (stored !== events.length) throw new Error(`OpenSearch holds ${stored} documents of ${events.length}`);
    return {
      measurements: [
        {
          name: 'raw _bulk of the same ECS documents to OpenSearch',
          value: events.length / rawSeconds,
          unit: 'docs/s',
          extra: { seconds: rawSeconds },
        },
        {
          name: 'opensearch sink: catch-up to the real OpenSearch 2.19 node',
          value: events.length / seconds,
          unit: 'events/s',
          extra: { events: events.length, seconds, stored },
        },
      ],
      ratio: round(rawSeconds / seconds),
    };
  } finally {
    for (const prefix of [rawPrefix, sinkPrefix]) {
      await fetch(`${node}/${prefix}-*?allow_no_indices=true`, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${node}/_index_template/${prefix}`, { method: 'DELETE' }).catch(() => undefined);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
