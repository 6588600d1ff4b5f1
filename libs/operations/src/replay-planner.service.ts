import { Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import { topicFor, type Category } from '@vigil/events';
import { KafkaAdminService, type OffsetMap } from '@vigil/kafka';
import { REPLAY_LOOKBACK_MS, type ReplayPlan, type RetentionGap } from './replay-plan.util';

/** Turns a replay's time range into the offsets it reads, and says when retention already took part of it. */
@Injectable()
export class ReplayPlanner {
  constructor(
    private readonly admin: KafkaAdminService,
    private readonly clock: Clock,
  ) {}

  /** Start offsets from Kafka's offsets for `from` less `lookbackMs`; end offsets at `to`, or the high watermarks. */
  async plan(categories: readonly Category[], from: Date, to: Date | null, lookbackMs = REPLAY_LOOKBACK_MS): Promise<ReplayPlan> {
    const topics = categories.map(topicFor);
    const start: OffsetMap = new Map();
    const end: OffsetMap = new Map();
    for (const topic of topics) {
      start.set(topic, await this.admin.offsetsAt(topic, from.getTime() - lookbackMs));
      end.set(
        topic,
        to === null
          ? new Map((await this.admin.watermarks(topic)).map((o) => [o.partition, o.high]))
          : await this.admin.offsetsAt(topic, to.getTime()),
      );
    }
    return { topics, start, end };
  }

  /**
   * Topics whose retained data begins after `from`: a partition that lost records (low watermark > 0) and whose start
   * is its first retained record, received after `from`. Kafka's offset-for-time lookup is monotonic, so the time of
   * that first record is found by bisection without reading it.
   */
  async retentionGaps(plan: ReplayPlan, from: Date): Promise<RetentionGap[]> {
    const gaps: RetentionGap[] = [];
    for (const topic of plan.topics) {
      let latest = 0;
      for (const { partition, low, high } of await this.admin.watermarks(topic)) {
        if (low === '0' || plan.start.get(topic)?.get(partition) !== low) continue;
        // Nothing retained at all: the data goes back to now.
        const earliest = low === high ? this.clock.now().getTime() : await this.firstRecordTime(topic, partition, low);
        if (earliest > from.getTime()) latest = Math.max(latest, earliest);
      }
      if (latest > 0) gaps.push({ topic, earliestAvailable: new Date(latest).toISOString() });
    }
    return gaps;
  }

  private async firstRecordTime(topic: string, partition: number, low: string): Promise<number> {
    let below = 0; // offsets(below) === low
    let above = this.clock.now().getTime() + 86_400_000; // offsets(above) > low, or nothing
    while (above - below > 1000) {
      const middle = Math.floor((below + above) / 2);
      if ((await this.admin.offsetsAt(topic, middle)).get(partition) === low) below = middle;
      else above = middle;
    }
    return below;
  }
}
