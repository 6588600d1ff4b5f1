import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createKafka } from '@vigil/kafka';
import { benchEnv, collectFrom, endOffsets, randomCjk, requireStack, testEnv, uniqueName } from '@vigil/testing';
import { ok, runCli } from '../replay/replay-test.util';

const logger = pino({ level: 'silent' });
const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'publish-file-e2e-spec' }, logger);
const admin = kafka.admin();
const TOPIC = 'audit.authentication';
// The 100,000 was measured by hand (docs/sdk.md); CI proves the same with fewer.
const EVENTS = benchEnv().BENCH_EVENTS ?? 20_000;

interface FileResult {
  published: number;
  invalid: number;
  failed: number;
  reusedIds: number;
  ids: string[];
  errors: { line: number; status: string; error: string }[];
}

const env = (): Record<string, string> => ({
  KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
  DATABASE_URL: testEnv.databaseUrl,
});

async function publishFile(file: string): Promise<FileResult> {
  const run = await runCli(['publish', '--file', file, '--json'], env());
  return JSON.parse(run.stdout) as FileResult;
}

/** A small valid event of about 160 bytes of JSON, as the file had. */
function line(tenantId: string, i: number): string {
  return JSON.stringify({ action: 'user.login.failed', tenantId, actor: { id: `user-${i % 977}` }, client: { ip: `10.0.${i % 250}.1` } });
}

describe('vigil publish --file against the real broker and registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-publish-'));
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`publishes ${EVENTS} small events of one tenant in full, and a re-run adds no new ids`, async () => {
    const tenant = uniqueName('file-tenant');
    const file = join(dir, 'small.ndjson');
    writeFileSync(file, `${Array.from({ length: EVENTS }, (_, i) => line(tenant, i)).join('\n')}\n`);
    const from = await endOffsets(admin, [TOPIC]);

    const first = await publishFile(file);
    assert.deepEqual([first.published, first.invalid, first.failed], [EVENTS, 0, 0], JSON.stringify(first.errors.slice(0, 3)));
    const again = ok(await runCli(['publish', '--file', file, '--json'], env()));
    const second = JSON.parse(again.stdout) as FileResult;
    assert.equal(second.reusedIds, EVENTS);
    assert.deepEqual(second.ids, first.ids, 'the re-run published every line under the id of the first run');

    const records = await collectFrom(kafka, from, (c) => c.length >= 2 * EVENTS, { filter: (c) => c.message.key?.toString() === tenant });
    const ids = new Set(records.map((c) => c.message.headers?.['vigil-event-id']?.toString()));
    // Both runs are on Kafka; the store and the SIEMs deduplicate by id, so the tenant has exactly EVENTS events.
    assert.equal(records.length, 2 * EVENTS);
    assert.equal(ids.size, EVENTS);
  });

  it('reports each broken line by number and reason, and publishes the good ones', async () => {
    const tenant = uniqueName('file-tenant');
    const good = (i: number): string => line(tenant, i);
    const file = join(dir, 'broken.ndjson');
    const parts = [
      Buffer.from(`\uFEFF${good(1)}\r\n`), // 1: byte-order mark and CRLF: fine
      Buffer.from(`${good(2).slice(0, 40)}\n`), // 2: truncated
      Buffer.from(`${good(3)}${good(4)}\n`), // 3: two objects on one line
      Buffer.concat([Buffer.from('{"action":"user.login.failed","tenantId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), // 4
      Buffer.from(`${JSON.stringify({ action: 'user.login.failed', tenantId: tenant, actor: { id: randomCjk(1024) } })}\n`), // 5
      Buffer.from('[1,2]\n'), // 6: not an object
      Buffer.from(`${good(7)}\r\n`), // 7
      // 8: a misspelt time, looked for before the journal fills in a time of its own
      Buffer.from(
        `${JSON.stringify({ action: 'user.login.failed', tenantId: tenant, actor: { id: 'u' }, tiem: '2026-01-01T00:00:00Z' })}\n`,
      ),
      Buffer.from(good(9)), // 9: no final newline
    ];
    writeFileSync(file, Buffer.concat(parts));
    const from = await endOffsets(admin, [TOPIC]);
    const result = await publishFile(file);
    assert.deepEqual([result.published, result.invalid, result.failed], [3, 6, 0]);
    const reasons = Object.fromEntries(result.errors.map((e) => [e.line, e.error]));
    assert.match(reasons[2] ?? '', /^not valid JSON/);
    assert.match(reasons[3] ?? '', /^more than one JSON value on the line/);
    assert.equal(reasons[4], 'not valid UTF-8');
    assert.equal(reasons[5], 'actor.id: at most 1024 bytes of UTF-8 (got 3072)');
    assert.equal(reasons[6], 'expected a JSON object');
    assert.equal(reasons[8], 'tiem: unknown field; did you mean "time"?');
    const records = await collectFrom(kafka, from, (c) => c.length >= 3, { filter: (c) => c.message.key?.toString() === tenant });
    assert.deepEqual(
      records.map((c) => c.message.headers?.['vigil-event-id']?.toString()),
      result.ids,
    );
  });
});
