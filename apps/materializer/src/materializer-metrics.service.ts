import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '@vigil/observability';
import type { FoldResult } from '@vigil/store';

export type EventResult = 'stored' | 'duplicate' | 'dead_lettered' | 'expired';

/** What the materializer counts: events by result and topic, batch durations, the time of the last commit, rollup folds. */
@Injectable()
export class MaterializerMetrics {
  readonly events: Counter<'result' | 'topic'>;
  readonly batchSeconds: Histogram<'topic'>;
  readonly lastCommit: Gauge;
  readonly futureEvents: Counter;
  readonly rollupFolds: Counter<'result'>;
  readonly rollupFolded: Counter;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter({
      name: 'vigil_materializer_events_total',
      help: 'Events handled, by result',
      labelNames: ['result', 'topic'],
    });
    this.batchSeconds = metrics.histogram({
      name: 'vigil_materializer_batch_seconds',
      help: 'Time to decode, store and commit one partition batch',
      labelNames: ['topic'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.lastCommit = metrics.gauge({
      name: 'vigil_materializer_last_commit_timestamp_seconds',
      help: 'When the last batch was stored and committed',
    });
    this.futureEvents = metrics.counter({
      name: 'vigil_materializer_future_events_total',
      help: 'Events beyond the created partitions (stored in the default partition)',
    });
    this.rollupFolds = metrics.counter({
      name: 'vigil_materializer_rollup_folds_total',
      help: 'Folds of the pending rollup counts into the rollups, by result (folded, busy: another instance folded, failed)',
      labelNames: ['result'],
    });
    this.rollupFolded = metrics.counter({
      name: 'vigil_materializer_rollup_folded_rows_total',
      help: 'Pending rollup rows folded into the rollups',
    });
  }

  /** A fold's result, or its error (RollupFoldScheduler). */
  recordFold(outcome: FoldResult | { error: unknown }): void {
    if ('error' in outcome) this.rollupFolds.inc({ result: 'failed' });
    else {
      this.rollupFolds.inc({ result: outcome.busy ? 'busy' : 'folded' });
      this.rollupFolded.inc(outcome.folded);
    }
  }
}
