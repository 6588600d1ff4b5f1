import { Command } from 'commander';
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import { allTopics, EventCodec } from '@vigil/events';
import { BatchConsumer } from '@vigil/kafka';
import { Clock } from '@vigil/common';
import { createLogger } from '@vigil/observability';
import {
  AuditEventRepository,
  BatchMaterializer,
  DAILY_ROLLUP_TABLE,
  HOURLY_ROLLUP_TABLE,
  PartitionManager,
  runMigrations,
  storePoolConfig,
} from '@vigil/store';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, type Output } from './cli.util';
import { cliKafka, cliRegistry, withKafkaAdmin } from './kafka-admin.factory';
import { Interruption } from './interruption.util';
import { Progress } from './progress.util';

const IDENT = /^[a-z_][a-z0-9_]*$/;

type Targets = Map<string, bigint>; // "topic:partition" -> offset to reach (exclusive)

async function highWatermarks(admin: Admin): Promise<Targets> {
  const targets: Targets = new Map();
  for (const topic of allTopics()) {
    for (const p of await admin.fetchTopicOffsets(topic)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
  }
  return targets;
}

/** Where the group stands on each partition (its committed offset, else the earliest retained one). */
async function positions(admin: Admin, groupId: string): Promise<Targets> {
  const result: Targets = new Map();
  const committed = await admin.fetchOffsets({ groupId, topics: allTopics() });
  for (const topic of allTopics()) {
    const low = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
    for (const p of committed.find((c) => c.topic === topic)?.partitions ?? []) {
      const start = low.get(p.partition) ?? 0n;
      result.set(`${topic}:${p.partition}`, p.offset === '-1' ? start : BigInt(p.offset) > start ? BigInt(p.offset) : start);
    }
  }
  return result;
}

/**
 * Consumes every audit topic with the rebuild group into `pool` until each partition reached its
 * target offset. Offsets are committed after each stored batch, so an interrupted pass resumes.
 */
async function catchUp(
  interruption: Interruption,
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  pool: pg.Pool,
  materializer: BatchMaterializer,
  targets: Targets,
  label: string,
  out: Output,
): Promise<number> {
  const position = await positions(admin, groupId);
  let total = 0n;
  for (const [key, target] of targets) total += target > (position.get(key) ?? 0n) ? target - (position.get(key) ?? 0n) : 0n;
  const remaining = new Set([...targets].filter(([key, target]) => (position.get(key) ?? 0n) < target).map(([key]) => key));
  if (remaining.size === 0) return 0;
  const progress = new Progress(label, Number(total), out);
  let stored = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const logger = createLogger('vigil-rebuild', 'error');
  const consumer = new BatchConsumer(
    kafka,
    { groupId, topics: allTopics(), fromBeginning: true, partitionsConsumedConcurrently: 3, maxBytesPerPartition: 4 * 1024 * 1024 },
    async (batch) => {
      const key = `${batch.topic}:${batch.partition}`;
      const target = targets.get(key) ?? 0n;
      // Messages past the target are stored too: the batch's offsets are committed whole, and the
      // next pass starts from there, so nothing may be skipped.
      const result = await materializer.process(pool, batch.topic, batch.partition, batch.messages);
      stored += result.stored;
      progress.increment(batch.messages.filter((m) => BigInt(m.offset) < target).length);
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined && BigInt(last.offset) + 1n >= target && remaining.delete(key) && remaining.size === 0) finish();
    },
    logger,
  );
  await consumer.start();
  try {
    await Promise.race([finished, interruption.promise]);
  } finally {
    await consumer.stop();
    progress.stop();
  }
  return stored;
}

async function rebuild(config: CliConfig, options: { restart: boolean }, out: Output): Promise<void> {
  const interruption = new Interruption('interrupted; run the same command again to resume from the last stored batch');
  const main = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  try {
    const target = (await main.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
    const staging = `${target}_rebuild`;
    // One group per store, so rebuilding two stores on one cluster never mixes their progress.
    const groupId = `vigil-rebuild-${target}`;
    if (!IDENT.test(staging)) throw new CliError(`cannot rebuild schema "${target}": only lower-case identifiers are supported`);
    await withKafkaAdmin(config, async (admin) => {
      if (options.restart) {
        await main.query(`DROP SCHEMA IF EXISTS ${staging} CASCADE`);
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
      const resuming = (await main.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [staging])).rowCount === 1;
      await runMigrations(config.DATABASE_URL, { schema: staging });
      const pool = new pg.Pool(storePoolConfig(config.DATABASE_URL, staging, 4));
      try {
        const retention = { retentionDays: config.VIGIL_RETENTION_DAYS, partitionsAheadDays: 7 };
        const partitions = new PartitionManager(pool, new Clock(), retention);
        await partitions.maintain();
        const kafka = cliKafka(config);
        const materializer = new BatchMaterializer(
          new EventCodec(cliRegistry(config), { schemaIds: 'lookup' }),
          new AuditEventRepository(),
          (t) => partitions.isWithinRetention(t),
          undefined,
        );
        if (!out.json) process.stderr.write(`${resuming ? 'resuming the' : 'starting a'} rebuild of ${target}.audit_event in ${staging}\n`);
        const targets = await highWatermarks(admin);
        interruption.check();
        const stored = await catchUp(interruption, kafka, admin, groupId, pool, materializer, targets, 'rebuild', out);
        interruption.check();
        const switched = await switchOver(main, staging, target);
        // Events the live materializer stored in the old table after the targets were fixed: read them again.
        const after = await catchUp(interruption, kafka, admin, groupId, main, materializer, await highWatermarks(admin), 'catch-up', out);
        await admin.deleteGroups([groupId]).catch(() => undefined);
        const summary = { schema: target, stored, caughtUp: after, partitions: switched };
        process.stdout.write(
          out.json
            ? `${JSON.stringify(summary)}\n`
            : `rebuilt ${target}.audit_event: ${stored} events stored, ${after} caught up, ${switched} partitions switched\n`,
        );
      } finally {
        await pool.end();
      }
    });
    await main.query(`DROP SCHEMA IF EXISTS ${staging} CASCADE`);
  } finally {
    await main.end();
  }
}

/** Replaces the live table by the rebuilt one in one transaction: readers and the materializer wait on the lock, then see the new table. */
async function switchOver(pool: pg.Pool, staging: string, target: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const parts = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_event'`,
      [staging],
    );
    await client.query(`DROP TABLE IF EXISTS ${target}.audit_event CASCADE`);
    await client.query(`ALTER TABLE ${staging}.audit_event SET SCHEMA ${target}`);
    for (const { name } of parts.rows) await client.query(`ALTER TABLE ${staging}.${name} SET SCHEMA ${target}`);
    // The rollups were filled by the same insertBatch in the staging schema: they move with the events.
    for (const rollup of [HOURLY_ROLLUP_TABLE, DAILY_ROLLUP_TABLE]) {
      await client.query(`DROP TABLE IF EXISTS ${target}.${rollup}`);
      await client.query(`ALTER TABLE ${staging}.${rollup} SET SCHEMA ${target}`);
    }
    await client.query('COMMIT');
    return parts.rows.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export function rebuildCommand(out: Output): Command {
  return new Command('rebuild')
    .description('rebuild the store from the Kafka topics into fresh tables, then switch over (resumable)')
    .option('--restart', 'discard an interrupted rebuild and start from the earliest offsets again')
    .action(async (options: { restart?: boolean }) => {
      await rebuild(cliConfig(), { restart: options.restart === true }, out);
    });
}
