import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher } from '@vigil/audit-sdk';
import { createRawKafka } from '@vigil/kafka';
import { repoRoot, requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { expectedChains, storedChains } from '../integrity/chain-test.util';
import { TestStore } from './materializer-test.util';

const logger = pino({ level: 'silent' });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'rebuild-e2e' }, logger);

interface Run {
  code: Promise<number | null>;
  output: () => string;
  interrupt: () => void;
}

function rebuild(store: TestStore, ...args: string[]): Run {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js'), 'rebuild', ...args], {
    // Exactly the stack's addresses (libs/testing), not the shell's environment.
    env: {
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
      DATABASE_URL: store.databaseUrl(),
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return {
    code: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    output: () => output,
    interrupt: () => child.kill('SIGINT'),
  };
}

describe('vigil rebuild (the CLI as a process, against the real stack)', () => {
  let publisher: AuditPublisher;
  before(async () => {
    await requireStack();
    publisher = new AuditPublisher({
      kafka: { client: kafka },
      schemaRegistry: { url: testEnv.schemaRegistryUrl },
      service: { name: 'rebuild-e2e' },
      logger,
    });
  });
  after(async () => {
    await publisher.close();
  });

  it('refuses, before reading anything, a live schema that lacks a store migration', async () => {
    const store = await new TestStore().create();
    try {
      await store.pool.query(`DELETE FROM store_migrations WHERE name = 'AddRollupPending1796800000000'`);
      await store.pool.query(`DROP TABLE audit_event_rollup_pending`);
      const run = rebuild(store);
      assert.notEqual(await run.code, 0, run.output());
      assert.match(run.output(), /lacks the store migrations AddRollupPending1796800000000; run `npm run vigil -- migrations apply` first/);
      const staging = await store.pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [`${store.schema}_rebuild`]);
      assert.equal(staging.rowCount, 0, 'no staging schema was made');
    } finally {
      await store.drop();
    }
  });

  it('rebuilds a lost store from the topics, resumes after an interruption, and switches over', async () => {
    const store = await new TestStore().create();
    // Read before the rebuild: a run that crosses midnight UTC must not count the day it ended in.
    const today = `audit_event_p${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
    const tenant = uniqueName('tenant');
    const published = await publisher.publishMany(
      Array.from({ length: 300 }, (_, i) => ({
        action: i % 2 === 0 ? ('user.login.failed' as const) : ('role.created' as const),
        tenantId: tenant,
        actor: { id: `u-${i}` },
      })),
    );
    try {
      // Interrupt a first run ...
      const first = rebuild(store);
      const staging = `${store.schema}_rebuild`;
      // ... once it has stored at least one batch (so there is a checkpoint to resume from).
      await waitFor(
        async () => {
          const res = await store.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${staging}.audit_event`);
          return Number(res.rows[0]?.n ?? 0);
        },
        (n) => n > 0,
        'the first stored batch',
        120_000,
      );
      first.interrupt();
      const firstCode = await first.code;
      // A run that finished before the signal is fine too; an interrupted one says how to resume.
      if (firstCode !== 0) {
        assert.equal(firstCode, 130, first.output());
        assert.match(first.output(), /interrupted; run the same command again to resume/);
      }

      const second = rebuild(store);
      assert.equal(await second.code, 0, second.output());
      if (firstCode !== 0) assert.match(second.output(), /resuming the rebuild/);
      assert.match(second.output(), /rebuilt .*audit_event/);
      assert.deepEqual(await store.ids(tenant), published.map((e) => e.id).sort());
      // The rebuilt chain is the one the materializer builds: its links follow from the published events alone.
      assert.deepEqual(await storedChains(store, tenant), expectedChains(published));
      const leftovers = await store.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [staging]);
      assert.equal(leftovers.rowCount, 0, 'the staging schema is dropped after the switch');
      const parts = await store.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'audit_event_p%'`,
        [store.schema],
      );
      assert.ok(Number(parts.rows[0]?.n) >= 30, 'the daily partitions moved with the table');
      // The rebuild made the past days without their free-text indexes and built them before the switch.
      const indexes = await store.pool.query<{ part: string; valid: boolean | null }>(
        `SELECT t.relname AS part,
                (SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  WHERE c.relname = t.relname || '_search_trgm_idx' AND c.relnamespace = t.relnamespace) AS valid
           FROM pg_class t WHERE t.relnamespace = $1::regnamespace AND t.relname ~ '^audit_event_p[0-9]{8}$'`,
        [store.schema],
      );
      const ended = indexes.rows.filter((r) => r.part < today);
      assert.ok(ended.length >= 30);
      assert.deepEqual(
        ended.filter((r) => r.valid !== true).map((r) => r.part),
        [],
        'every day that has ended has its free-text index',
      );
      assert.deepEqual(
        indexes.rows.filter((r) => r.part >= today && r.valid !== null).map((r) => r.part),
        [],
        'today and the days ahead have none',
      );
    } finally {
      await store.pool.query(`DROP SCHEMA IF EXISTS ${store.schema}_rebuild CASCADE`);
      await store.drop();
    }
  });
});
