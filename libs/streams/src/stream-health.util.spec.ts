import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsService } from '@vigil/observability';
import { StreamHealthTracker, StreamMetrics } from './stream-health.util';

describe('StreamHealthTracker', () => {
  it('counts deliveries of the last 24 hours only, and resets credential failures on success', () => {
    let now = new Date('2026-11-27T00:30:00Z');
    const tracker = new StreamHealthTracker('s1', 't1', new StreamMetrics(new MetricsService()), () => now);
    tracker.recordDelivered('s1', 10);
    now = new Date('2026-11-27T12:30:00Z');
    tracker.recordDelivered('s1', 5);
    assert.equal(tracker.delivered24h(), 15);
    now = new Date('2026-11-28T01:10:00Z');
    assert.equal(tracker.delivered24h(), 5, 'the 00:00 hour of the day before has left the window');
    tracker.recordFailure('s1', 'auth', 'HTTP 401');
    tracker.recordFailure('s1', 'auth', 'HTTP 401');
    assert.equal(tracker.authFailures, 2);
    tracker.recordDelivered('s1', 1);
    assert.equal(tracker.authFailures, 0);
    assert.equal(tracker.snapshot('s1').lastError, 'HTTP 401');
  });
});
