import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import { allTopics, EventCodec } from '@vigil/events';
import { AuditBatchConsumer, ConsumerGroups, KAFKA, KafkaAdminService, positionOf, type KafkaClient } from '@vigil/kafka';
import {
  createPgPool,
  AuditEventRepository,
  BatchMaterializer,
  PartitionManager,
  RollupFolder,
  RollupFoldScheduler,
  runMigrations,
  StoreRebuildRepository,
  storePoolConfig,
} from '@vigil/store';
import { throwIfAborted, untilAborted } from './interruption.util';
import { OperationsErrorCode, OperationsException } from './operations.exception';
import { OPERATIONS_LOGGER, OPERATIONS_OPTIONS, type OperationObserver, type OperationsOptions } from './operations.types';

export interface RebuildSummary {
  schema: string;
  /** Events stored into the rebuilt table. */
  stored: number;
  /** Events the live materializer stored in the old table while the rebuild ran, stored while the live tables were locked for the switch. */
  caughtUp: number;
  /** Partitions of the table switched over. */
  partitions: number;
}

/** "topic:partition" -> offset to reach (exclusive). */
type Targets = Map<string, bigint>;

/** The staging schema's name is spliced into DDL: only plain identifiers (the store checks it again). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const INTERRUPTED = 'interrupted; run the same command again to resume from the last stored batch';

/** Rebuilds the store from the Kafka topics into a staging schema, then switches the live table over (resumable). */
@Injectable()
export class RebuildUseCase {
  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdminService,
    private readonly codec: EventCodec,
    private readonly clock: Clock,
    @Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions,
    @Inject(OPERATIONS_LOGGER) private readonly logger: Logger,
  ) {}

  async execute(request: { restart: boolean }, observer: OperationObserver, signal: AbortSignal): Promise<RebuildSummary> {
    const main = createPgPool({ connectionString: this.options.databaseUrl, max: 2 });
    const store = new StoreRebuildRepository();
    try {
      const target = await store.currentSchema(main);
      const staging = `${target}_rebuild`;
      if (!IDENTIFIER.test(staging))
        throw new OperationsException(
          OperationsErrorCode.REBUILD_UNSUPPORTED_SCHEMA,
          `cannot rebuild schema "${target}": only lower-case identifiers are supported`,
        );
      // Checked before the load, not found out at the switch-over after it.
      const missing = await store.missingMigrations(main, target);
      if (missing.length > 0)
        throw new OperationsException(
          OperationsErrorCode.REBUILD_UNSUPPORTED_SCHEMA,
          `cannot rebuild schema "${target}": it lacks the store migrations ${missing.join(', ')}; run \`npm run vigil -- migrations apply\` first`,
        );
      const summary = await this.rebuild(store, main, { target, staging }, request.restart, observer, signal);
      await store.dropSchema(main, staging);
      return summary;
    } finally {
      await main.end();
    }
  }

  private async rebuild(
    store: StoreRebuildRepository,
    main: pg.Pool,
    schemas: { target: string; staging: string },
    restart: boolean,
    observer: OperationObserver,
    signal: AbortSignal,
  ): Promise<RebuildSummary> {
    const { target, staging } = schemas;
    const groupId = ConsumerGroups.rebuild(target);
    if (restart) {
      await store.dropSchema(main, staging);
      await this.admin.deleteGroup(groupId);
    }
    const resuming = await store.schemaExists(main, staging);
    await runMigrations(this.options.databaseUrl, { schema: staging });
    const pool = createPgPool(storePoolConfig(this.options.databaseUrl, staging, 4));
    try {
      // The past days are filled first and get their free-text indexes in one build each, before the switch.
      const partitions = new PartitionManager(pool, this.clock, {
        retentionDays: this.options.retentionDays,
        partitionsAheadDays: 7,
        indexAtCreation: false,
        indexConcurrently: false,
      });
      await partitions.maintain();
      const materializer = new BatchMaterializer(new AuditEventRepository(), (t) => partitions.isWithinRetention(t));
      observer.notice?.('info', `${resuming ? 'resuming the' : 'starting a'} rebuild of ${target}.audit_event in ${staging}`);
      const targets = await this.highWatermarks();
      throwIfAborted(signal, INTERRUPTED);
      // The rollup counts each stored batch appends are folded as the live materializer folds its own, so that the
      // pending table stays small; what is pending at the switch moves with the tables and the live fold takes it.
      const folder = new RollupFolder(pool);
      const folds = new RollupFoldScheduler(folder, this.logger);
      folds.start();
      let stored: number;
      try {
        stored = await this.catchUp(groupId, pool, materializer, targets, 'rebuild', observer, signal);
      } finally {
        await folds.stop();
      }
      throwIfAborted(signal, INTERRUPTED);
      await folder.fold();
      const stopIndexing = (): void => void partitions.stopIndexing();
      signal.addEventListener('abort', stopIndexing, { once: true });
      const indexes = await partitions.indexEndedDays().finally(() => signal.removeEventListener('abort', stopIndexing));
      throwIfAborted(signal, INTERRUPTED);
      const left = indexes.busy ? ['every ended day (another run holds the indexing lock)'] : indexes.deferred;
      if (left.length > 0)
        observer.notice?.('warning', `warning: free-text indexes left to the materializer's maintenance: ${left.join(', ')}`);
      // The live tables are locked against writes while the rebuild stores what the live materializer stored since
      // the targets were fixed; then the rebuilt tables and chain heads take their place, and the materializer goes
      // on from those heads: the chain continues with no event missing or chained twice.
      const { client, livePositions } = await store.beginSwitch(main, target);
      let caughtUp: number;
      try {
        const final = new Map(targets);
        for (const [key, next] of livePositions) if (next > (final.get(key) ?? 0n)) final.set(key, next);
        caughtUp = await this.catchUp(groupId, pool, materializer, final, 'catch-up', observer, signal);
        throwIfAborted(signal, INTERRUPTED);
      } catch (err) {
        await store.abandonSwitch(client);
        throw err;
      }
      const switched = await store.finishSwitch(client, staging, target);
      await this.admin.deleteGroup(groupId);
      return { schema: target, stored, caughtUp, partitions: switched };
    } finally {
      await pool.end();
    }
  }

  private async highWatermarks(): Promise<Targets> {
    const targets: Targets = new Map();
    for (const topic of allTopics()) {
      for (const p of await this.admin.watermarks(topic)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
    return targets;
  }

  /** Where the group stands on each partition (its committed offset, else the earliest retained one). */
  private async positions(groupId: string): Promise<Targets> {
    const result: Targets = new Map();
    const committed = await this.admin.committedOffsets(groupId, allTopics());
    for (const topic of allTopics()) {
      for (const { partition, low } of await this.admin.watermarks(topic)) {
        result.set(`${topic}:${partition}`, BigInt(positionOf(committed.get(topic)?.get(partition), low)));
      }
    }
    return result;
  }

  /**
   * Consumes every audit topic with the rebuild group into `pool` until each partition reached its
   * target offset: a bounded read of the consumer host, which commits after each stored batch (so an
   * interrupted pass resumes) and never past the target (so the catch-up pass after the switch reads the rest).
   * Undecodable messages are skipped: the live materializer dead-lettered them already.
   */
  private async catchUp(
    groupId: string,
    pool: pg.Pool,
    materializer: BatchMaterializer,
    targets: Targets,
    label: string,
    observer: OperationObserver,
    signal: AbortSignal,
  ): Promise<number> {
    const position = await this.positions(groupId);
    let total = 0n;
    for (const [key, target] of targets) total += target > (position.get(key) ?? 0n) ? target - (position.get(key) ?? 0n) : 0n;
    if (![...targets].some(([key, target]) => (position.get(key) ?? 0n) < target)) return 0;
    observer.begin?.(label, Number(total));
    let stored = 0;
    const until = new Map<string, Map<number, string>>();
    for (const [key, target] of targets) {
      const [topic = '', partition = ''] = key.split(':');
      if (!until.has(topic)) until.set(topic, new Map());
      until.get(topic)?.set(Number(partition), target.toString());
    }
    const consumer = new AuditBatchConsumer(
      {
        group: groupId,
        topics: allTopics(),
        fromBeginning: true,
        concurrency: 3,
        maxBytesPerPartition: 4 * 1024 * 1024,
        until,
        undecodable: 'skip',
      },
      async (batch) => {
        const result = await materializer.store(pool, batch.messages);
        stored += result.stored;
        observer.advance?.(batch.read);
      },
      { kafka: this.kafka, codec: this.codec, clock: this.clock, logger: this.logger },
    );
    await consumer.start();
    try {
      await untilAborted(signal, consumer.finished, INTERRUPTED);
    } finally {
      await consumer.stop();
      observer.end?.();
    }
    return stored;
  }
}
