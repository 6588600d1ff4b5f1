// The ingest gateway (issue 15): accepted events/s over HTTP with batches of 100 (16 requests in flight, 8 producer
// keys for 8 tenants), and the time to 202 at a steady BENCH_RATE (default 1,000) requests/s of one event each, for
// BENCH_LATENCY_SECONDS. Baseline of the same run: the SDK publishing the same events in this process (the gateway
// publishes through it, so the ratio is what HTTP, JSON parsing, authentication and per-event checks cost).
// Goals: >= 20,000 events/s; p99 to 202 reported. The gateway, Kafka and this client share the machine's 2 cores.
import pg from 'pg';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { createRawKafka } from '@vigil/kafka';
import { ApiKeyRepository } from '@vigil/store';
import { AppProcess, benchEnv, testEnv, uniqueName } from '@vigil/testing';
import { loginInput } from './lib/bench-event.factory';
import { machine, percentile, round, secondsSince, writeReport, type Measurement } from './lib/report.util';

const EVENTS = benchEnv().BENCH_EVENTS ?? 100_000;
const RATE = benchEnv().BENCH_RATE ?? 1000;
const LATENCY_SECONDS = benchEnv().BENCH_LATENCY_SECONDS;
const BATCH = 100;
const IN_FLIGHT = 16;
const TENANTS = 8;
const PEPPER = 'bench-ingest-pepper-0123456789abcdef';

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const logger = pino({ level: 'warn' });
  const run = uniqueName('bench-ingest');
  const tenants = Array.from({ length: TENANTS }, (_, t) => `${run}-${t}`);
  const pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 2 });
  const keys = await Promise.all(
    tenants.map(async (tenantId) => (await new ApiKeyRepository().create(pool, { tenantId, role: 'producer', name: 'bench' }, PEPPER)).key),
  );
  await pool.end();
  const measurements: Measurement[] = [];

  // Baseline: the SDK in this process, concurrent publish() calls as a Node service would make them.
  const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'bench-ingest' }, logger);
  const publisher = new AuditPublisher({
    kafka: { client: kafka },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'bench' },
    logger,
  });
  await publisher.publish(loginInput(0, tenants[0] ?? ''));
  const sdkStart = process.hrtime.bigint();
  await Promise.all(Array.from({ length: EVENTS }, (_, i) => publisher.publish(loginInput(i, tenants[i % TENANTS] ?? ''))));
  const sdkRate = EVENTS / secondsSince(sdkStart);
  await publisher.close();
  measurements.push({ name: 'SDK publish in-process (baseline)', value: sdkRate, unit: 'events/s', extra: { events: EVENTS } });

  const gateway = new AppProcess('ingest-gateway', {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: testEnv.databaseUrl,
    VIGIL_API_KEY_PEPPER: PEPPER,
    VIGIL_INGEST_RATE_PER_SECOND: '10000000',
    VIGIL_INGEST_RATE_BURST: '10000000',
  });
  await gateway.start();
  try {
    const url = `${gateway.baseUrl}/v1/events`;
    const send = async (key: string, body: string): Promise<number> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Warm-up: keys verified and cached, the publisher connected, the schema id fetched.
    for (const [t, key] of keys.entries()) await send(key, JSON.stringify([loginInput(0, tenants[t] ?? '')]));

    // Throughput: batches of 100, IN_FLIGHT requests at once.
    const bodies = Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) => {
      const t = b % TENANTS;
      return {
        key: keys[t] ?? '',
        body: JSON.stringify(Array.from({ length: BATCH }, (_, i) => loginInput(b * BATCH + i, tenants[t] ?? ''))),
      };
    });
    let next = 0;
    let accepted = 0;
    let refused = 0;
    const httpStart = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let b = next++; b < bodies.length; b = next++) {
          const request = bodies[b];
          if (request === undefined) break;
          if ((await send(request.key, request.body)) === 202) accepted += BATCH;
          else refused++;
        }
      }),
    );
    const httpRate = accepted / secondsSince(httpStart);
    measurements.push({
      name: `gateway POST /v1/events, batches of ${BATCH}, ${IN_FLIGHT} in flight`,
      value: httpRate,
      unit: 'events/s',
      extra: { accepted, refusedRequests: refused },
    });

    // Latency: a steady RATE requests/s of one event each, for LATENCY_SECONDS.
    const latencies: number[] = [];
    let non202 = 0;
    const total = RATE * LATENCY_SECONDS;
    const tickMs = 10;
    const perTick = RATE / (1000 / tickMs);
    const inflight: Promise<void>[] = [];
    const latencyStart = performance.now();
    for (let sent = 0; sent < total;) {
      const due = Math.min(total, Math.floor(((performance.now() - latencyStart) / tickMs + 1) * perTick));
      for (; sent < due; sent++) {
        const t = sent % TENANTS;
        const began = performance.now();
        inflight.push(
          send(keys[t] ?? '', JSON.stringify(loginInput(sent, tenants[t] ?? ''))).then(
            (status) => {
              if (status === 202) latencies.push(performance.now() - began);
              else non202++;
            },
            () => void non202++,
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    await Promise.all(inflight);
    const achieved = total / ((performance.now() - latencyStart) / 1000);
    latencies.sort((a, b) => a - b);
    measurements.push({
      name: `gateway time to 202 at ${RATE} requests/s (one event each)`,
      value: percentile(latencies, 99, 0),
      unit: 'ms (p99)',
      extra: {
        p50: round(percentile(latencies, 50, 0)),
        p95: round(percentile(latencies, 95, 0)),
        max: round(latencies.at(-1) ?? 0),
        non202,
        achievedRate: round(achieved),
      },
    });
  } finally {
    await gateway.stop();
  }
  writeReport({
    bench: 'ingest',
    startedAt,
    machine: machine(),
    parameters: { events: EVENTS, batch: BATCH, inFlight: IN_FLIGHT, tenants: TENANTS, rate: RATE, latencySeconds: LATENCY_SECONDS },
    measurements,
    ratios: { 'gateway events/s vs SDK events/s': round((measurements[1]?.value ?? 0) / sdkRate) },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
