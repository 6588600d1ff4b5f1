import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiFilter,
  bucketFor,
  DEFAULT_VIEW,
  exportQuery,
  liveFilter,
  parseView,
  pivot,
  resolveRange,
  viewParams,
  type EventsView,
} from './view-state.util.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');

describe('events view state', () => {
  it('round-trips every field through the URL', () => {
    const view: EventsView = {
      range: 'custom',
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-21T00:00:00.000Z',
      tz: 'local',
      filters: {
        text: 'drop table',
        actorId: 'u-1',
        actorName: 'Ann',
        targetType: 'doc',
        targetId: 'd1',
        clientIp: '10.0.0.0/8',
        service: 'api',
        correlationId: 'c1',
        traceId: 't1',
      },
      actions: ['user.login.*', 'role.granted'],
      categories: ['authentication'],
      outcome: 'FAILURE',
      order: 'OLDEST_FIRST',
      live: true,
      allTenants: true,
      event: '0190-abc',
    };
    const url = new URL(`http://x/console/?${viewParams(view).toString()}`);
    assert.deepEqual(parseView(url.searchParams), view);
  });

  it('leaves defaults out of the URL and reads an empty URL as the defaults', () => {
    assert.equal(viewParams(DEFAULT_VIEW).toString(), '');
    assert.deepEqual(parseView(new URLSearchParams()), DEFAULT_VIEW);
  });

  it('ignores what it cannot use instead of failing', () => {
    const view = parseView(new URLSearchParams('range=2y&outcome=maybe&from=yesterday&order=x&actions=,a,,a,b'));
    assert.equal(view.range, '24h');
    assert.equal(view.outcome, null);
    assert.equal(view.from, null);
    assert.equal(view.order, 'NEWEST_FIRST');
    assert.deepEqual(view.actions, ['a', 'b']);
    // A custom range without its start falls back to the default range.
    assert.equal(parseView(new URLSearchParams('range=custom')).range, '24h');
    // A start alone means a custom range ending now.
    assert.equal(parseView(new URLSearchParams('from=2026-11-01T00:00:00Z')).range, 'custom');
  });

  it('resolves relative and custom ranges against now', () => {
    assert.deepEqual(resolveRange({ ...DEFAULT_VIEW, range: '1h' }, NOW), {
      from: '2026-11-27T11:00:00.000Z',
      to: '2026-11-27T12:00:00.000Z',
    });
    assert.deepEqual(resolveRange({ ...DEFAULT_VIEW, range: 'custom', from: '2026-11-01T00:00:00.000Z', to: null }, NOW), {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-27T12:00:00.000Z',
    });
  });

  it('builds the API filter, the live filter and the export query from the same view', () => {
    const view: EventsView = { ...DEFAULT_VIEW, range: '15m', actions: ['a.b', 'c.*'], outcome: 'SUCCESS', filters: { actorId: 'u1' } };
    assert.deepEqual(apiFilter(view, NOW), {
      from: '2026-11-27T11:45:00.000Z',
      to: '2026-11-27T12:00:00.000Z',
      actorId: 'u1',
      actions: ['a.b', 'c.*'],
      outcome: 'SUCCESS',
    });
    assert.deepEqual(liveFilter(view), { actorId: 'u1', actions: ['a.b', 'c.*'], outcome: 'SUCCESS' });
    const query = exportQuery(view, NOW, 'csv');
    assert.equal(query.get('format'), 'csv');
    assert.equal(query.get('actions'), 'a.b,c.*');
    assert.equal(query.get('from'), '2026-11-27T11:45:00.000Z');
    // The export's default order is oldest first: the view's newest-first default must be sent.
    assert.equal(query.get('order'), 'NEWEST_FIRST');
    assert.equal(exportQuery({ ...view, order: 'OLDEST_FIRST' }, NOW, 'ndjson').get('order'), 'OLDEST_FIRST');
  });

  it('picks buckets that keep the histogram to a few hundred bars', () => {
    assert.equal(bucketFor('2026-11-27T11:00:00Z', '2026-11-27T12:00:00Z'), 'MINUTE');
    assert.equal(bucketFor('2026-11-20T12:00:00Z', '2026-11-27T12:00:00Z'), 'HOUR');
    assert.equal(bucketFor('2026-10-28T12:00:00Z', '2026-11-27T12:00:00Z'), 'DAY');
  });

  it('pivots narrow the view and close the drawer', () => {
    const open = { ...DEFAULT_VIEW, event: 'e1', filters: { text: 'x' } };
    assert.deepEqual(pivot(open, 'actorId', 'u9'), { ...open, event: null, filters: { text: 'x', actorId: 'u9' } });
    assert.deepEqual(pivot(open, 'actions', 'user.login.failed').actions, ['user.login.failed']);
  });
});
