import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditPublisher } from '@vigil/audit-sdk';
import type { AuditEvent } from '@vigil/events';
import { AppProcess, requireStack, uniqueName, waitFor } from '@vigil/testing';
import { SplunkHecDouble } from '../doubles/splunk-hec.double';
import {
  cliEnv,
  countsOf,
  HEC_TOKEN,
  newPublisher,
  ok,
  publishNow,
  publishSpread,
  runCli,
  spawnCli,
  writeConnectorsFile,
} from './replay-test.util';

const DAY_MS = 86_400_000;
let publisher: AuditPublisher;
let spread: AuditEvent[];
let from: string;
/** The spread events inside the last two days: what a replay `--from <2 days ago>` must deliver. */
let lastTwoDays: AuditEvent[];
const doubles: SplunkHecDouble[] = [];
const apps: AppProcess[] = [];

async function aHec(): Promise<SplunkHecDouble> {
  const hec = await SplunkHecDouble.start({ token: HEC_TOKEN });
  doubles.push(hec);
  return hec;
}

describe('vigil replay', () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    publisher = newPublisher();
    spread = (await publishSpread(publisher, 10_000, 72)).events;
    from = new Date(Date.now() - 2 * DAY_MS).toISOString();
    lastTwoDays = spread.filter((e) => e.time >= Date.parse(from) * 1000);
  });
  after(async () => {
    for (const app of apps) await app.kill();
    for (const hec of doubles) await hec.close();
    await publisher.close();
  });

  it('replays the last two days to a new connector, then hands over to the live app with no gap and no overlap', async () => {
    const hec = await aHec();
    const name = uniqueName('replay-new');
    const env = cliEnv(writeConnectorsFile(name, hec.url));
    const run = ok(await runCli(['replay', '--connector', name, '--from', from, '--json'], env));
    const summary = JSON.parse(run.stdout) as { handOver: string; read: number };
    assert.match(summary.handOver, /^handed over/);
    const afterReplay = countsOf(hec.eventIds(), spread);
    assert.deepEqual(
      spread.filter((e) => afterReplay.get(e.id) === 1).map((e) => e.id),
      lastTwoDays.map((e) => e.id),
      'exactly the events of the last two days, each once',
    );
    assert.equal([...afterReplay.values()].filter((n) => n > 1).length, 0);

    const tenantId = spread[0]?.tenantId ?? '';
    const gap = await publishNow(publisher, tenantId, 50, 'between replay and app');
    const app = await new AppProcess('connector-splunk', { ...env, LOG_LEVEL: 'warn', VIGIL_STATUS_INTERVAL_MS: '500' }).start();
    apps.push(app);
    const live = await publishNow(publisher, tenantId, 50, 'live');
    const expected = [...lastTwoDays, ...gap, ...live];
    await waitFor(
      () => countsOf(hec.eventIds(), [...gap, ...live]),
      (counts) => [...counts.values()].every((n) => n >= 1),
      'the live events to arrive',
      60_000,
    );
    const counts = countsOf(hec.eventIds(), [...spread, ...gap, ...live]);
    assert.deepEqual(
      [...counts].filter(([, n]) => n > 0).map(([id]) => id),
      expected.map((e) => e.id),
      'every event of the range and every live event, nothing older',
    );
    assert.deepEqual(
      [...counts.values()].filter((n) => n > 1),
      [],
      'none repeated',
    );
    await app.stop();
  });

  it('resumes an interrupted replay (Ctrl-C) from its checkpoint; the double ends with every event of the range', async (t) => {
    const hec = await aHec();
    hec.setLatency(200); // a slow SIEM, so the interruption lands halfway
    const name = uniqueName('replay-int');
    const env = cliEnv(writeConnectorsFile(name, hec.url, { maxEvents: 200 }));
    const args = ['replay', '--connector', name, '--from', from];
    const first = spawnCli(args, env);
    // Under way once the SIEM took 1,000 events of the range, whoever published them: the topic may hold events of
    // earlier runs in the range too (a long-lived stack), and the replay sends those first in the partition.
    await waitFor(
      () => hec.eventIds().length,
      (n) => n >= 1000,
      'the replay to be under way',
      60_000,
    ).catch(async (err: unknown) => {
      first.child.kill('SIGKILL');
      const run = await first.done;
      throw new Error(`${(err as Error).message}; the replay printed:\n${run.stderr}\n${run.stdout}`);
    });
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    const interruptedAt = hec.eventIds().length;
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /run the same command again to resume/);
    const halfway = [...countsOf(hec.eventIds(), lastTwoDays).values()].filter((n) => n > 0).length;
    assert.ok(halfway < lastTwoDays.length, `interrupted before the end (${halfway} of ${lastTwoDays.length})`);

    hec.setLatency(0);
    const second = ok(await runCli(args, env));
    assert.match(second.stderr, /resuming the replay/);
    const counts = countsOf(hec.eventIds(), spread);
    assert.deepEqual(
      lastTwoDays.filter((e) => (counts.get(e.id) ?? 0) === 0).map((e) => e.id),
      [],
      'every event of the range arrived',
    );
    // Every id the double received, this run's or an earlier run's still in the range: each arrives once unless resent.
    const received = hec.eventIds();
    const resent = received.length - new Set(received).size;
    t.diagnostic(`${interruptedAt} events arrived before the interruption, ${resent} were sent again`);
    // Progress inside a partition batch is committed as the SIEM takes it (every 200 ms at most), so what is sent
    // twice is what was delivered since each partition's last progress commit: about a sink batch per partition.
    assert.ok(resent <= 1000, `only the batches in flight at the interruption were sent twice (${resent})`);
  });

  it('--dry-run prints the ranges per partition and sends nothing', async () => {
    const hec = await aHec();
    const name = uniqueName('replay-dry');
    const env = cliEnv(writeConnectorsFile(name, hec.url));
    const run = ok(await runCli(['replay', '--connector', name, '--from', from, '--dry-run', '--json'], env));
    const plan = JSON.parse(run.stdout) as {
      total: number;
      handOver: boolean;
      partitions: { topic: string; start: string; end: string }[];
    };
    assert.ok(plan.total >= lastTwoDays.length, `the range holds at least the test's events (${plan.total})`);
    assert.equal(plan.handOver, true);
    assert.ok(plan.partitions.length > 0 && plan.partitions.every((p) => p.topic === 'audit.automation'));
    assert.equal(hec.requests(), 0);
  });

  it('sends events stamped hours ahead of their publishing when --from is after the time Kafka received them', async () => {
    // The validator takes a time up to a day ahead; Kafka's timestamp is when the event was published. A replay that
    // started at Kafka's offsets for --from (less five minutes, as it did) read past these events and sent none.
    const hec = await aHec();
    const name = uniqueName('replay-ahead');
    const env = cliEnv(writeConnectorsFile(name, hec.url));
    const tenantId = uniqueName('replay-ahead-tenant');
    const now = Date.now();
    const at = (ms: number) => ({
      action: 'ai_suggestions.config.updated',
      tenantId,
      actor: { id: 'clock-ahead' },
      time: new Date(now + ms),
    });
    const inside = await publisher.publishMany([at(3 * 3_600_000), at(20 * 3_600_000), at(23 * 3_600_000)]);
    const before = await publisher.publishMany([at(30 * 60_000)]);
    const ahead = new Date(now + 2 * 3_600_000).toISOString();
    // An operator who knows better may read less: with five minutes of lookback, nothing Kafka holds is in range.
    const short = JSON.parse(
      ok(await runCli(['replay', '--connector', name, '--from', ahead, '--lookback', '5m', '--dry-run', '--json'], env)).stdout,
    ) as {
      total: number;
    };
    assert.equal(short.total, 0);
    const bad = await runCli(['replay', '--connector', name, '--from', ahead, '--lookback', '2 days', '--dry-run'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--lookback must be minutes, hours or days/);
    const run = ok(await runCli(['replay', '--connector', name, '--from', ahead, '--json'], env));
    assert.equal((JSON.parse(run.stdout) as { handOver: string }).handOver.startsWith('handed over'), true);
    const counts = countsOf(hec.eventIds(), [...inside, ...before]);
    assert.deepEqual(
      [...counts].map(([id, n]) => [id, n]),
      [...inside.map((e) => [e.id, 1]), ...before.map((e) => [e.id, 0])],
      'the events stamped after --from, each once, and not the one stamped before it',
    );
  });

  it('refuses a --from older than the retained data unless --allow-partial, saying how far back it goes', async () => {
    const hec = await aHec();
    const name = uniqueName('replay-old');
    const env = cliEnv(writeConnectorsFile(name, hec.url));
    const run = await runCli(
      ['replay', '--connector', name, '--from', '2000-01-01T00:00:00Z', '--to', '2000-01-02T00:00:00Z', '--dry-run'],
      env,
    );
    // The shared topics may or may not have lost data to retention: either way the answer is explicit.
    if (run.code === 3) assert.match(run.stderr, /data goes back to/);
    else assert.equal(run.code, 0, run.stderr);
    const bad = await runCli(['replay', '--connector', name, '--from', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--from must be an ISO-8601 time/);
    const unknown = await runCli(['replay', '--connector', 'no-such-connector', '--from', from], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no connector named "no-such-connector"/);
  });

  it('pauses and resumes a running connector app without a restart', async () => {
    const hec = await aHec();
    const name = uniqueName('replay-ctl');
    const env = {
      ...cliEnv(writeConnectorsFile(name, hec.url, { startFrom: 'latest' })),
      LOG_LEVEL: 'warn',
      VIGIL_STATUS_INTERVAL_MS: '500',
    };
    const app = await new AppProcess('connector-splunk', env).start();
    apps.push(app);
    const tenantId = uniqueName('replay-ctl-tenant');
    const warmup = await publishNow(publisher, tenantId, 5, 'before pause');
    await waitFor(
      () => countsOf(hec.eventIds(), warmup),
      (c) => [...c.values()].every((n) => n > 0),
      'the app to deliver',
      60_000,
    );

    const paused = JSON.parse(ok(await runCli(['connectors', 'pause', name, '--json'], env)).stdout) as { confirmed: boolean };
    assert.equal(paused.confirmed, true);
    const held = await publishNow(publisher, tenantId, 20, 'while paused');
    const status = await waitFor(
      async () =>
        (JSON.parse(ok(await runCli(['connectors', 'status', name, '--json'], env)).stdout) as { state: string; lag: number }[])[0],
      (s) => s !== undefined && s.state === 'paused' && s.lag >= 20,
      'the status to show the connector paused with the held events as lag',
      30_000,
    );
    assert.equal(status?.state, 'paused');
    assert.equal([...countsOf(hec.eventIds(), held).values()].filter((n) => n > 0).length, 0, 'nothing delivered while paused');

    const resumed = JSON.parse(ok(await runCli(['connectors', 'resume', name, '--json'], env)).stdout) as { confirmed: boolean };
    assert.equal(resumed.confirmed, true);
    await waitFor(
      () => countsOf(hec.eventIds(), held),
      (c) => [...c.values()].every((n) => n > 0),
      'the held events after resume',
      60_000,
    );
    const list = JSON.parse(ok(await runCli(['connectors', 'list', '--json'], env)).stdout) as { connector: string; format: string }[];
    assert.deepEqual(list, [
      { connector: name, type: 'splunk', enabled: true, format: 'hec', categories: 'automation', startFrom: 'latest' },
    ]);
    await app.stop();
  });

  it('lists, shows and redrives a poison event once the SIEM takes it', async () => {
    const hec = await aHec();
    const name = uniqueName('replay-dlq');
    const env = cliEnv(writeConnectorsFile(name, hec.url));
    const tenantId = uniqueName('replay-dlq-tenant');
    const since = new Date(Date.now() - 1000).toISOString();
    const [poison, ...good] = await publishNow(publisher, tenantId, 3, 'dlq');
    assert.ok(poison !== undefined);
    hec.rejectEvents((e) => (e.event as { id?: string }).id === poison.id);
    ok(await runCli(['replay', '--connector', name, '--from', since], env));
    assert.deepEqual(good.filter((e) => hec.eventIds().includes(e.id)).length, 2);
    const letters = JSON.parse(ok(await runCli(['dlq', 'list', '--connector', name, '--json'], env)).stdout) as {
      ref: string;
      reason: string;
      eventId: string;
      consumer: string;
    }[];
    const letter = letters.find((l) => l.eventId === poison.id);
    assert.ok(letter !== undefined, JSON.stringify(letters));
    assert.equal(letter.reason, 'rejected-by-siem');
    assert.equal(letter.consumer, `vigil-replay-${name}`);
    const shown = JSON.parse(ok(await runCli(['dlq', 'show', letter.ref, '--json'], env)).stdout) as {
      headers: Record<string, string>;
      event: { id: string; tenantId: string };
    };
    assert.equal(shown.event.id, poison.id);
    assert.equal(shown.headers['vigil-dlq-origin-topic'], 'audit.automation');

    // Named to a connector that sends another tenant's events only: refused, nothing reaches its SIEM.
    const elsewhere = await aHec();
    const otherName = uniqueName('replay-dlq-other');
    const otherEnv = cliEnv(writeConnectorsFile(otherName, elsewhere.url, { tenants: [uniqueName('someone-else')] }));
    const wrong = await runCli(['dlq', 'redrive', letter.ref, '--connector', otherName], otherEnv);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, new RegExp(`${letter.ref}: ${otherName} does not send tenant ${tenantId}'s events \\(its tenants\\)`));
    assert.deepEqual(elsewhere.eventIds(), []);

    hec.rejectEvents(() => false);
    const redriven = JSON.parse(ok(await runCli(['dlq', 'redrive', letter.ref, '--json'], env)).stdout) as {
      results: { sent: number }[];
    };
    assert.equal(redriven.results[0]?.sent, 1);
    assert.ok(hec.eventIds().includes(poison.id));
    const missing = await runCli(['dlq', 'show', '0:999999999'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no dead letter 0:999999999/);
  });
});
