import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, formatDuration, formatLag, healthDisplay } from './stream-health.util.ts';
import type { StreamHealth } from './streams-api.util.ts';

const health = (over: Partial<StreamHealth> = {}): StreamHealth => ({
  state: 'ACTIVE',
  reason: null,
  recovery: null,
  lagEvents: 0,
  lagSeconds: 0,
  delivered24h: 0,
  deadLettered: 0,
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  updatedAt: '2026-11-27T10:00:00Z',
  ...over,
});

describe('stream health display', () => {
  it('gives every state a word and a symbol besides its tone', () => {
    for (const state of ['ACTIVE', 'CATCHING_UP', 'FAILING', 'PAUSED', 'SUSPENDED'] as const) {
      const shown = healthDisplay(health({ state }), true);
      assert.ok(shown.label.length > 2, state);
      assert.ok(shown.symbol.length > 0, state);
    }
    assert.equal(healthDisplay(health({ state: 'FAILING', reason: 'HTTP 503' }), true).tone, 'danger');
    assert.equal(healthDisplay(health({ state: 'FAILING', reason: 'HTTP 503' }), true).reason, 'HTTP 503');
    assert.equal(healthDisplay(health(), true).tone, 'ok');
  });

  it('says a stream the app has not run yet is starting, or paused when disabled', () => {
    assert.equal(healthDisplay(null, true).label, 'Starting');
    assert.equal(healthDisplay(null, false).label, 'Paused');
  });

  it('formats lag, durations and times ago', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(59.4), '59 s');
    assert.equal(formatDuration(180), '3 min');
    assert.equal(formatDuration(7500), '2 h 5 min');
    assert.equal(formatDuration(3 * 86_400), '3 d');
    assert.equal(formatLag(health({ lagEvents: 12_500, lagSeconds: 42 })), '12,500 events · 42 s');
    assert.equal(formatLag(null), '—');
    const now = Date.parse('2026-11-27T10:05:00Z');
    assert.equal(formatAgo('2026-11-27T10:00:00Z', now), '5 min ago');
    assert.equal(formatAgo(null, now), 'never');
  });
});
