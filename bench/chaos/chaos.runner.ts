// `npm run chaos [-- --quick] [-- scenario ...]`: faults under load on the secured three-broker cluster stack, counted
// the way Jepsen-style tests count. A load generator publishes through the SDK (as vigil-producer) and keeps the id of
// every event Kafka acknowledged; the materializer (vigil-materializer) and a Splunk connector (vigil-connector) run as
// the compiled apps. Each scenario injects its fault again and again under load, and after it:
//   - lost: acknowledged ids missing from the store, or never received by the SIEM double;
//   - duplicated: rows of one id stored more than once (the SIEM may see an event twice: at-least-once);
//   - recovery: seconds from the end of each fault until the consumer group's lag was back to its baseline.
// Results go to bench/results/chaos.<time>.json, like the benchmarks'.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { inheritedEnvironment } from '@vigil/config';
import { AuditPublisher } from '@vigil/audit-sdk';
import { createRawKafka, type RawAdmin } from '@vigil/kafka';
import { AppProcess, principalEnv, principalKafka, repoRoot, SchemaStore, TcpProxy, testEnv, uniqueName } from '@vigil/testing';
import { parseConcatenatedJson } from '../../test/doubles/concatenated-json.util';
import { machine, round, writeReport, type Measurement } from '../lib/report.util';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const WANTED = args.filter((a) => !a.startsWith('--'));
const TOPIC = 'audit.authentication';
const TENANTS = 6;
/** Events a second the load generator offers (in batches of 25 every 50 ms, up to 4 batches in flight). */
const RATE = 500;
/** The materializer's session timeout: how soon Kafka hands a killed instance's partitions to the next one. */
const SESSION_TIMEOUT_MS = 10_000;
const logger = pino({ level: 'warn' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the SIEM double

/** A Splunk HEC that records event ids and can answer 429/503 for a while (the SIEM outage). */
class CountingHec {
  private server: Server | undefined;
  readonly ids = new Map<string, number>();
  outageUntil = 0;
  refused = 0;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (Date.now() < this.outageUntil) {
          this.refused++;
          const status = this.refused % 2 === 0 ? 429 : 503;
          res.writeHead(status, { 'Content-Type': 'application/json', 'Retry-After': '1' });
          res.end(JSON.stringify({ text: status === 429 ? 'Too many requests' : 'Server is busy', code: status === 429 ? 9 : 9 }));
          return;
        }
        for (const value of parseConcatenatedJson(body).values) {
          const event = (value as { event?: { id?: unknown } }).event;
          if (typeof event?.id === 'string') this.ids.set(event.id, (this.ids.get(event.id) ?? 0) + 1);
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

// ---------------------------------------------------------------- load

/** Publishes under load as vigil-producer and keeps the id of every event Kafka acknowledged. */
class Load {
  readonly acknowledged = new Set<string>();
  rejected = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly publisher = new AuditPublisher({
    kafka: principalKafka('vigil-producer', 'vigil-chaos-load'),
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'vigil-chaos' },
    batch: { lingerMs: 5 },
  });

  constructor(readonly tenants: readonly string[]) {}

  start(): void {
    this.running = true;
    const inFlight = new Set<Promise<void>>();
    let n = 0;
    this.loop = (async () => {
      while (this.running) {
        const tick = Date.now();
        if (inFlight.size < 4) {
          const batch = Array.from({ length: RATE / 20 }, () => {
            n++;
            return {
              action: 'user.login.succeeded',
              tenantId: this.tenants[n % this.tenants.length] ?? 't',
              actor: { id: `user-${n % 97}` },
            };
          });
          const p = this.publisher
            .publishMany(batch)
            .then((events) => {
              for (const e of events) this.acknowledged.add(e.id);
            })
            .catch(() => {
              // Not acknowledged: the event may or may not be in Kafka (a timeout after the write), so it is
              // neither counted as lost nor required; the report lists how many there were.
              this.rejected += batch.length;
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await sleep(Math.max(0, 50 - (Date.now() - tick)));
      }
      await Promise.all(inFlight);
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  async close(): Promise<void> {
    await this.publisher.close();
  }
}

// ---------------------------------------------------------------- the cluster

const stateDir = path.join(repoRoot, '.stack-cluster');

function brokerPid(nodeId: number): number {
  return Number(readFileSync(path.join(stateDir, nodeId === 1 ? 'kafka.pid' : `kafka-${nodeId}.pid`), 'utf8').trim());
}

/** `stack:up cluster` starts the nodes that are not running and waits for all three (and the registry). */
async function restartMissingBrokers(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // Without this process's addresses: they point every stack variable at the cluster, which stack:up would refuse
    // as the development and test stacks sharing it.
    const env = Object.fromEntries(
      Object.entries(inheritedEnvironment()).filter(([k]) => !/^(TEST_|KAFKA_|SCHEMA_REGISTRY_|DATABASE_URL$)/.test(k)),
    );
    const child = spawn(process.execPath, ['scripts/stack.mts', 'up', 'cluster'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`stack:up cluster exited ${String(code)}: ${err.slice(-1000)}`)),
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function untilDead(pid: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
}

// ---------------------------------------------------------------- measuring

class Lag {
  constructor(
    private readonly admin: RawAdmin,
    private readonly groupId: () => string,
  ) {}

  async now(): Promise<number> {
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(TOPIC),
      this.admin.fetchOffsets({ groupId: this.groupId(), topics: [TOPIC] }),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - Math.max(0, done.get(p.partition) ?? 0)), 0);
  }

  /** The lag under load with no fault: the 95th percentile of 3 s of samples. */
  async baseline(): Promise<number> {
    const samples: number[] = [];
    for (let i = 0; i < 12; i++) {
      samples.push(await this.now().catch(() => Number.NaN));
      await sleep(250);
    }
    const sorted = samples.filter((s) => !Number.isNaN(s)).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  }

  /** Waits until the group has caught up with what was published before (a new group starts from the earliest offset). */
  async caughtUp(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.now().catch(() => Number.POSITIVE_INFINITY)) <= RATE) return;
      await sleep(500);
    }
    throw new Error(`${this.groupId()} did not catch up within ${timeoutMs / 1000} s`);
  }

  /** Seconds from now until the lag is back within the baseline (plus one produce batch of slack). */
  async recovery(baseline: number, timeoutMs = 180_000): Promise<number> {
    const start = Date.now();
    const limit = baseline + RATE / 20;
    while (Date.now() - start < timeoutMs) {
      const lag = await this.now().catch(() => Number.POSITIVE_INFINITY);
      if (lag <= limit) return (Date.now() - start) / 1000;
      await sleep(250);
    }
    return Number.POSITIVE_INFINITY;
  }
}

interface ScenarioResult {
  scenario: string;
  repetitions: number;
  acknowledged: number;
  notAcknowledged: number;
  lostInStore: number;
  duplicatedInStore: number;
  lostAtSiem: number;
  siemDuplicates: number;
  recoveryMedianS: number;
  recoveryMaxS: number;
  disturbanceMaxS: number;
  /** Apps that exited on their own during the scenario (a crash, not a kill the scenario made). */
  crashed: string[];
}

interface Rig {
  store: SchemaStore;
  hec: CountingHec;
  pgProxy: TcpProxy;
  materializer: AppProcess;
  connector: AppProcess;
  materializerGroup: string;
  connectorGroup: string;
  configPath: string;
  admin: RawAdmin;
}

function materializerApp(rig: Pick<Rig, 'store' | 'pgProxy' | 'materializerGroup'>): AppProcess {
  const url = new URL(rig.store.databaseUrl());
  url.hostname = '127.0.0.1';
  url.port = String(rig.pgProxy.port);
  return new AppProcess('materializer', {
    ...principalEnv('vigil-materializer'),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: url.toString(),
    MATERIALIZER_GROUP_ID: rig.materializerGroup,
    MATERIALIZER_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    LOG_LEVEL: 'error',
  });
}

function connectorApp(configPath: string): AppProcess {
  return new AppProcess('connector-splunk', {
    ...principalEnv('vigil-connector'),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    VIGIL_CONFIG: configPath,
    CHAOS_HEC_TOKEN: 'chaos',
    LOG_LEVEL: 'error',
  });
}

async function storedCounts(store: SchemaStore, tenants: readonly string[]): Promise<Map<string, number>> {
  const res = await store.pool.query<{ id: string; n: string }>(
    'SELECT id::text AS id, count(*) AS n FROM audit_event WHERE tenant_id = ANY($1) GROUP BY id',
    [tenants],
  );
  return new Map(res.rows.map((r) => [r.id, Number(r.n)]));
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Runs `fault` `repetitions` times under load. `fault` returns when the fault has ended (the process is back, the
 * outage over); recovery is measured from there on the group `lagOf` names.
 */
async function scenario(
  rig: Rig,
  name: string,
  repetitions: number,
  lagOf: 'materializer' | 'connector',
  fault: (i: number) => Promise<void>,
): Promise<ScenarioResult> {
  const tenants = Array.from({ length: TENANTS }, () => uniqueName(`chaos-${name}`));
  writeConnectorsFile(rig, tenants);
  await rig.connector.stop();
  rig.connector = await connectorApp(rig.configPath).start(90_000);
  const load = new Load(tenants);
  const lag = new Lag(rig.admin, () => (lagOf === 'materializer' ? rig.materializerGroup : rig.connectorGroup));
  process.stderr.write(`chaos: ${name}: ${repetitions} x under ${RATE} events/s\n`);
  load.start();
  const recoveries: number[] = [];
  /** Seconds from the fault's start (the kill, the outage) until the lag was back: the whole disturbance. */
  const sinceStart: number[] = [];
  try {
    await lag.caughtUp();
    await sleep(2000);
    const baseline = await lag.baseline();
    for (let i = 0; i < repetitions; i++) {
      const started = Date.now();
      await fault(i);
      const seconds = await lag.recovery(baseline);
      recoveries.push(seconds);
      sinceStart.push((Date.now() - started) / 1000);
      process.stderr.write(`chaos: ${name} #${i + 1}: lag back to baseline (${baseline}) ${round(seconds)} s after the fault ended\n`);
    }
    await sleep(2000);
  } catch (err) {
    // A fault that could not be injected or undone ends the run, not the load loop (it would keep the process alive).
    await load.stop();
    await load.close();
    throw err;
  }
  await load.stop();
  // Everything acknowledged must arrive; wait until it has (or a generous deadline passes, then count what is missing).
  const deadline = Date.now() + 180_000;
  let stored = await storedCounts(rig.store, tenants);
  const missing = (): number => [...load.acknowledged].filter((id) => !stored.has(id)).length;
  const missingAtSiem = (): number => [...load.acknowledged].filter((id) => !rig.hec.ids.has(id)).length;
  while ((missing() > 0 || missingAtSiem() > 0) && Date.now() < deadline) {
    await sleep(1000);
    stored = await storedCounts(rig.store, tenants);
  }
  const result: ScenarioResult = {
    scenario: name,
    repetitions,
    acknowledged: load.acknowledged.size,
    notAcknowledged: load.rejected,
    lostInStore: missing(),
    duplicatedInStore: [...stored.values()].reduce((sum, n) => sum + (n - 1), 0),
    lostAtSiem: missingAtSiem(),
    siemDuplicates: [...load.acknowledged].reduce((sum, id) => sum + Math.max(0, (rig.hec.ids.get(id) ?? 0) - 1), 0),
    recoveryMedianS: round(median(recoveries)),
    recoveryMaxS: round(Math.max(...recoveries)),
    disturbanceMaxS: round(Math.max(...sinceStart)),
    crashed: [rig.materializer.alive ? '' : 'materializer', rig.connector.alive ? '' : 'connector-splunk'].filter((a) => a !== ''),
  };
  await load.close();
  process.stderr.write(`chaos: ${name}: ${JSON.stringify(result)}\n`);
  if (result.lostInStore + result.lostAtSiem > 0 || !Number.isFinite(result.recoveryMaxS)) {
    const lost = [...load.acknowledged].filter((id) => !stored.has(id) || !rig.hec.ids.has(id)).slice(0, 5);
    process.stderr.write(`chaos: ${name}: first lost ids ${lost.join(', ')}\n`);
    process.stderr.write(`chaos: ${name}: where Kafka has them: ${JSON.stringify(await findInTopic(lost))}\n`);
    process.stderr.write(`--- materializer ---\n${rig.materializer.output.join('').slice(-4000)}\n`);
    process.stderr.write(`--- connector ---\n${rig.connector.output.join('').slice(-2000)}\n`);
  }
  return result;
}

function writeConnectorsFile(rig: Pick<Rig, 'configPath' | 'hec' | 'connectorGroup'>, tenants: readonly string[]): void {
  writeFileSync(
    rig.configPath,
    `connectors:
  - name: ${rig.connectorGroup.slice('vigil-connector-'.length)}
    type: splunk
    tenants: [${tenants.join(', ')}]
    categories: [authentication]
    startFrom: latest
    batch: { maxEvents: 200, lingerMs: 20 }
    retry: { initialBackoffMs: 200, maxBackoffMs: 2000 }
    splunk: { url: '${rig.hec.url}', allowInsecureHttp: true, tokenEnv: CHAOS_HEC_TOKEN }
`,
  );
}

/** Where the topic holds each id (partition/offset), read from the earliest offset: tells a loss in Kafka from one in a consumer. */
async function findInTopic(ids: readonly string[]): Promise<Record<string, string>> {
  const kafka = createRawKafka(principalKafka('vigil-admin', 'vigil-chaos-find'), logger);
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const found: Record<string, string> = Object.fromEntries(ids.map((id) => [id, 'absent']));
  const consumer = kafka.consumer({ groupId: uniqueName('vigil-chaos-find') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        for (const id of ids) if (message.value?.includes(id) === true) found[id] = `${partition}/${message.offset}`;
        if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
        if ([...remaining.values()].every((high) => high === 0) || remaining.size === 0) resolve();
        return Promise.resolve();
      },
    });
  });
  await Promise.race([done, sleep(120_000)]);
  await consumer.disconnect();
  return found;
}

async function leaderOf(admin: RawAdmin, tenantsPartition: number): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  return topics[0]?.partitions.find((p) => p.partitionId === tenantsPartition)?.leader ?? 1;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const kafka = createRawKafka(principalKafka('vigil-admin', 'vigil-chaos-admin'), logger);
  const admin = kafka.admin();
  await admin.connect();
  const store = await new SchemaStore('chaos', 2).create();
  const pgUrl = new URL(testEnv.databaseUrl);
  const pgProxy = await new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432)).start();
  const hec = await new CountingHec().start();
  const connectorGroup = `vigil-connector-${uniqueName('chaos')}`;
  const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-chaos-')), 'vigil.config.yaml');
  const partial = { store, pgProxy, materializerGroup: uniqueName('vigil-materializer-chaos'), hec, connectorGroup, configPath };
  writeConnectorsFile(partial, ['none-yet']);
  const rig: Rig = {
    ...partial,
    admin,
    materializer: await materializerApp(partial).start(90_000),
    connector: await connectorApp(configPath).start(90_000),
  };
  const reps = (full: number, quick: number): number => (QUICK ? quick : full);
  const siemOutageMs = QUICK ? 30_000 : 300_000;
  const scenarios: Record<string, () => Promise<ScenarioResult>> = {
    'materializer-kill': () =>
      scenario(rig, 'materializer-kill', reps(20, 3), 'materializer', async (i) => {
        await sleep(1000 + ((i * 379) % 1500)); // a different moment of a batch each time
        await rig.materializer.kill();
        rig.materializer = await materializerApp(rig).start(90_000);
      }),
    'leader-kill': () =>
      scenario(rig, 'leader-kill', reps(10, 2), 'materializer', async (i) => {
        await sleep(1000);
        const leader = await leaderOf(admin, i % 6);
        const pid = brokerPid(leader);
        process.kill(pid, 'SIGKILL');
        await untilDead(pid);
        await sleep(5000); // the cluster runs on two brokers meanwhile (min.insync.replicas=2)
        await restartMissingBrokers();
      }),
    'broker-restart': () =>
      scenario(rig, 'broker-restart', reps(3, 1), 'materializer', async (i) => {
        await sleep(1000);
        const pid = brokerPid((i % 3) + 1);
        process.kill(pid, 'SIGTERM');
        await untilDead(pid);
        await restartMissingBrokers();
      }),
    'postgres-outage': () =>
      scenario(rig, 'postgres-outage', reps(3, 1), 'materializer', async () => {
        // Every connection to PostgreSQL drops and new ones are refused for 10 s, as a restart looks to its clients
        // (through a proxy: the machine's PostgreSQL serves other stacks that a real restart would disturb).
        await sleep(1000);
        rig.pgProxy.cut();
        await sleep(10_000);
        rig.pgProxy.restore();
      }),
    'siem-outage': () =>
      scenario(rig, 'siem-outage', 1, 'connector', async () => {
        rig.hec.outageUntil = Date.now() + siemOutageMs;
        await sleep(siemOutageMs);
      }),
    'connector-kill': () =>
      scenario(rig, 'connector-kill', reps(5, 2), 'connector', async (i) => {
        await sleep(1000 + ((i * 433) % 1500));
        await rig.connector.kill();
        rig.connector = await connectorApp(rig.configPath).start(90_000);
      }),
  };
  const chosen = Object.keys(scenarios).filter((s) => WANTED.length === 0 || WANTED.some((w) => s.startsWith(w)));
  const results: ScenarioResult[] = [];
  try {
    for (const name of chosen) {
      const run = scenarios[name];
      if (run !== undefined) results.push(await run());
    }
  } finally {
    await rig.materializer.kill();
    await rig.connector.kill();
    await admin.disconnect();
    await hec.close();
    await pgProxy.stop();
    await store.drop();
  }
  const measurements: Measurement[] = results.flatMap((r): Measurement[] => [
    {
      name: `${r.scenario}: lost (store, SIEM) of ${r.acknowledged} acknowledged`,
      value: r.lostInStore + r.lostAtSiem,
      unit: 'events',
      extra: {
        lostInStore: r.lostInStore,
        lostAtSiem: r.lostAtSiem,
        notAcknowledged: r.notAcknowledged,
        repetitions: r.repetitions,
        crashed: r.crashed.join(',') || 'none',
      },
    },
    {
      name: `${r.scenario}: duplicated rows in the store`,
      value: r.duplicatedInStore,
      unit: 'rows',
      extra: { siemDuplicates: r.siemDuplicates },
    },
    {
      name: `${r.scenario}: lag back to baseline after the fault`,
      value: r.recoveryMaxS,
      unit: 's (max)',
      extra: { medianS: r.recoveryMedianS, faultStartToRecoveredMaxS: r.disturbanceMaxS },
    },
  ]);
  writeReport({
    bench: 'chaos',
    startedAt,
    machine: machine(),
    parameters: {
      mode: QUICK ? 'quick' : 'full',
      brokers: 3,
      security: 'SASL_SSL (SCRAM-SHA-512), ACLs',
      rateEventsPerSecond: RATE,
      tenants: TENANTS,
      materializerSessionTimeoutMs: SESSION_TIMEOUT_MS,
      siemOutageS: siemOutageMs / 1000,
    },
    measurements,
    ratios: {},
  });
  const failed = results.filter(
    (r) => r.lostInStore + r.lostAtSiem + r.duplicatedInStore > 0 || !(r.recoveryMaxS <= 60) || r.crashed.length > 0,
  );
  if (failed.length > 0) {
    process.stderr.write(
      `chaos: goal missed in ${failed.map((r) => r.scenario).join(', ')} (0 lost, 0 duplicated, lag back within 60 s)\n`,
    );
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
  // Sockets of a half-built rig (the SIEM double, the proxy, kafkajs) would keep the process alive.
  process.exit(1);
});
