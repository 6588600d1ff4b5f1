import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Clock } from '@vigil/common';
import type { KafkaAdminService } from '@vigil/kafka';
import { REPLAY_LOOKBACK_MS } from './replay-plan.util';
import { ReplayPlanner } from './replay-planner.service';

/** An admin whose offset for a time is the time's minute (as a string), recording the times asked for. */
function fakeAdmin(asked: number[]): KafkaAdminService {
  return {
    offsetsAt: (_topic: string, timeMs: number) => {
      asked.push(timeMs);
      return Promise.resolve(new Map([[0, String(Math.floor(timeMs / 60_000))]]));
    },
    watermarks: () => Promise.resolve([{ partition: 0, low: '0', high: '999999999' }]),
  } as unknown as KafkaAdminService;
}

describe(ReplayPlanner.name, () => {
  const from = new Date('2026-11-28T12:00:00Z');

  it('starts each topic at the offsets for --from less the lookback, a day and five minutes by default', async () => {
    const asked: number[] = [];
    const planner = new ReplayPlanner(fakeAdmin(asked), new Clock());
    const plan = await planner.plan(['authentication', 'automation'], from, null);
    assert.deepEqual(asked, [from.getTime() - REPLAY_LOOKBACK_MS, from.getTime() - REPLAY_LOOKBACK_MS]);
    assert.equal(plan.start.get('audit.authentication')?.get(0), String(Math.floor((from.getTime() - REPLAY_LOOKBACK_MS) / 60_000)));
    assert.equal(plan.end.get('audit.automation')?.get(0), '999999999');
  });

  it('takes a shorter lookback, and ends at the offsets for --to', async () => {
    const asked: number[] = [];
    const to = new Date('2026-11-28T13:00:00Z');
    await new ReplayPlanner(fakeAdmin(asked), new Clock()).plan(['authentication'], from, to, 30 * 60_000);
    assert.deepEqual(asked, [from.getTime() - 30 * 60_000, to.getTime()]);
  });
});
