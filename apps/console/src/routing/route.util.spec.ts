import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hrefFor, parseRoute } from './route.util.ts';

describe('console routes', () => {
  it('maps paths to pages and keeps the query', () => {
    assert.equal(parseRoute('/console/', '').page, 'events');
    assert.equal(parseRoute('/console', '').page, 'events');
    assert.equal(parseRoute('/console/streams', '').page, 'streams');
    assert.equal(parseRoute('/console/integrity/', '?from=x').params.get('from'), 'x');
    assert.equal(parseRoute('/console/nope', '').page, 'not-found');
  });

  it('builds hrefs that parse back to the same page and query', () => {
    const params = new URLSearchParams({ range: '24h', actions: 'user.login.*' });
    const href = hrefFor('integrity', params);
    const url = new URL(href, 'http://localhost');
    const route = parseRoute(url.pathname, url.search);
    assert.equal(route.page, 'integrity');
    assert.equal(route.params.get('actions'), 'user.login.*');
    assert.equal(hrefFor('events'), '/console/');
  });
});
