import { Inject, Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { APP_CONFIG } from '@vigil/config';
import { MetricsService } from '@vigil/observability';
import type { Principal } from '../auth/principal.types';
import type { QueryApiConfig } from '../query-api.config';
import { QueryErrorCode, QueryException } from '../query.exception';
import { KeyedSemaphore, SlotRefused, type Release } from './keyed-semaphore.util';

/** How long a refused caller should wait before it tries again. */
const RETRY_AFTER_SECONDS = 1;
const EXPORTS_RETRY_AFTER_SECONDS = 5;

/**
 * Fair sharing of the database between keys. Every unit of database work (each root field of a GraphQL
 * operation, each export) holds one of its key's QUERY_API_KEY_CONCURRENCY slots while it runs; a key's
 * further work waits in its own queue (QUERY_API_KEY_QUEUE callers, QUERY_API_KEY_QUEUE_WAIT_MS) or is
 * refused with TOO_MANY_CONCURRENT. Because one key holds fewer slots than the pool has connections
 * (the config enforces it), one key's load never takes the connection another tenant's page query needs.
 * Exports are also capped per key (QUERY_API_MAX_EXPORTS_PER_KEY) and over all keys (QUERY_API_MAX_EXPORTS): a
 * long stream holds its connection for minutes and keeps the event loop busy serialising rows.
 */
@Injectable()
export class QueryWorkLimiter {
  private readonly perKey: KeyedSemaphore;
  private exportsRunning = 0;
  private readonly exportsPerKey: KeyedSemaphore;
  private readonly inFlight: Gauge<'kind'>;
  private readonly refused: Counter<'reason'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
    metrics: MetricsService,
  ) {
    this.perKey = new KeyedSemaphore({
      slots: config.QUERY_API_KEY_CONCURRENCY,
      maxWaiting: config.QUERY_API_KEY_QUEUE,
      waitMs: config.QUERY_API_KEY_QUEUE_WAIT_MS,
    });
    this.exportsPerKey = new KeyedSemaphore({ slots: config.QUERY_API_MAX_EXPORTS_PER_KEY, maxWaiting: 0, waitMs: 0 });
    this.inFlight = metrics.gauge({ name: 'vigil_query_work_in_flight', help: 'Database work running now', labelNames: ['kind'] });
    this.refused = metrics.counter({
      name: 'vigil_query_work_refused_total',
      help: 'Database work refused by the per-key or export limits',
      labelNames: ['reason'],
    });
  }

  /** Runs one root field's database work in one of its key's slots. */
  async run<T>(principal: Principal, work: () => Promise<T>): Promise<T> {
    const release = await this.slotFor(principal);
    this.inFlight.inc({ kind: 'query' });
    try {
      return await work();
    } finally {
      this.inFlight.dec({ kind: 'query' });
      release();
    }
  }

  /**
   * A slot for one export: one of its key's QUERY_API_MAX_EXPORTS_PER_KEY (else TOO_MANY_CONCURRENT), one of the
   * QUERY_API_MAX_EXPORTS over all keys (refused at once with EXPORTS_BUSY when none is free: an export runs for
   * minutes, not seconds, so it does not queue) and one of its key's database slots. Release it when
   * the export ended, however it ended.
   */
  async exportSlot(principal: Principal): Promise<Release> {
    const releaseOwn = this.exportsPerKey.tryAcquire(principal.subject);
    if (releaseOwn === undefined) {
      const own = this.config.QUERY_API_MAX_EXPORTS_PER_KEY;
      this.refused.inc({ reason: 'key-exports' });
      throw new QueryException(
        QueryErrorCode.TOO_MANY_CONCURRENT,
        `this key already runs ${own} export${own > 1 ? 's' : ''} (QUERY_API_MAX_EXPORTS_PER_KEY); retry when it ended`,
        undefined,
        EXPORTS_RETRY_AFTER_SECONDS,
      );
    }
    if (this.exportsRunning >= this.config.QUERY_API_MAX_EXPORTS) {
      releaseOwn();
      this.refused.inc({ reason: 'exports-busy' });
      throw new QueryException(
        QueryErrorCode.EXPORTS_BUSY,
        `${this.config.QUERY_API_MAX_EXPORTS} exports are running on this instance (QUERY_API_MAX_EXPORTS); retry in ${EXPORTS_RETRY_AFTER_SECONDS} s`,
        undefined,
        EXPORTS_RETRY_AFTER_SECONDS,
      );
    }
    this.exportsRunning += 1;
    this.inFlight.inc({ kind: 'export' });
    let released = false;
    const releaseExport = (): void => {
      if (released) return;
      released = true;
      this.exportsRunning -= 1;
      releaseOwn();
      this.inFlight.dec({ kind: 'export' });
    };
    try {
      const releaseKey = await this.slotFor(principal);
      return () => {
        releaseKey();
        releaseExport();
      };
    } catch (err) {
      releaseExport();
      throw err;
    }
  }

  private async slotFor(principal: Principal): Promise<Release> {
    try {
      return await this.perKey.acquire(principal.subject);
    } catch (err) {
      if (!(err instanceof SlotRefused)) throw err;
      this.refused.inc({ reason: err.reason });
      const limit = this.config.QUERY_API_KEY_CONCURRENCY;
      const why = err.reason === 'queue-full' ? `and ${this.config.QUERY_API_KEY_QUEUE} more wait` : 'and none ended in time';
      throw new QueryException(
        QueryErrorCode.TOO_MANY_CONCURRENT,
        `this key already runs ${limit} queries or exports at once (QUERY_API_KEY_CONCURRENCY) ${why}; retry in ${RETRY_AFTER_SECONDS} s`,
        undefined,
        RETRY_AFTER_SECONDS,
      );
    }
  }
}
