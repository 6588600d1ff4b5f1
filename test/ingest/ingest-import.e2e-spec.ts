import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allTopics } from '@vigil/events';
import { endOffsets, repoRoot, uniqueName, type AppProcess } from '@vigil/testing';
import { runCli } from '../replay/replay-test.util';
import { IngestHarness } from './ingest-test.util';

// Vendors' own audit-log shapes into Vigil, through the gateway's /v1/import/{format} and `vigil import`.
const harness = new IngestHarness();
const { admin, env } = harness;
const fixturePath = (file: string): string => path.join(repoRoot, 'test', 'fixtures', 'seeds', file);
const eventsOf = harness.eventsOf.bind(harness);

interface ImportAnswer {
  accepted: number;
  rejected: number;
  results: { line: number; status: string; id?: string; errors?: { rule: string }[] }[];
  error?: { code: string };
}

describe('importing vendors’ records: /v1/import/{format} and vigil import', () => {
  let gateway: AppProcess;
  let tenant: string;
  let key: string;
  const post = async (format: string, body: string) => {
    const res = await fetch(`${gateway.baseUrl}/v1/import/${format}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${key}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as ImportAnswer };
  };

  before(async () => {
    await harness.open();
    gateway = await harness.gateway();
    tenant = uniqueName('logichub-customer');
    key = await harness.key(tenant);
  });
  after(() => harness.close());

  it('publishes LogicHub’s documented examples, refuses its six broken ones by line, and a re-import gives the same ids', async () => {
    const body = readFileSync(fixturePath('logichub/examples.txt'), 'utf8');
    const from = await endOffsets(admin, allTopics());
    const first = await post('logichub', body);
    assert.equal(first.status, 202);
    assert.deepEqual([first.body.accepted, first.body.rejected], [42, 6]);
    assert.deepEqual(
      first.body.results.filter((r) => r.status === 'rejected').map((r) => r.line),
      [43, 63, 74, 86, 372, 383],
    );
    assert.match(first.body.results.find((r) => r.line === 43)?.errors?.[0]?.rule ?? '', /line 49, column 23: invalid symbol/);
    const events = await eventsOf(tenant, from, 42);
    assert.equal(new Set(events.map((e) => e.id)).size, 42);
    assert.ok(events.some((e) => e.action === 'flow.published' && e.service.name === 'logichub'));
    const again = await post('logichub', body);
    assert.deepEqual(
      again.body.results.map((r) => r.id),
      first.body.results.map((r) => r.id),
      'the same records get the same ids: the store and the SIEMs deduplicate a re-import',
    );
  });

  it('refuses a format it does not know', async () => {
    const answer = await post('splunk', '{}');
    assert.deepEqual([answer.status, answer.body.error?.code], [404, 'UNKNOWN_FORMAT']);
  });

  it('vigil import publishes Closer’s hit for the tenant it names, and exits 1 naming the lines of a file that is not JSON', async () => {
    const closerTenant = uniqueName('closer-customer');
    const from = await endOffsets(admin, allTopics());
    const run = await runCli(
      ['import', '--format', 'closer', '--file', fixturePath('closer/example-repaired.json'), '--tenant', closerTenant],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 published, 0 invalid, 0 failed \(closer, tenant/);
    const [event] = await eventsOf(closerTenant, from, 1);
    assert.deepEqual(
      [event?.action, event?.actor.id, event?.http?.method],
      ['user.skills.updated', '00000000-0000-0000-0000-000000000000', 'PUT'],
    );
    const broken = await runCli(
      ['import', '--format', 'closer', '--file', fixturePath('closer/example-verbatim.txt'), '--tenant', closerTenant],
      env,
    );
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /text outside any JSON object/);
    assert.match(broken.stdout, /0 published, 2 invalid/);
  });
});
