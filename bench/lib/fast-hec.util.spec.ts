import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startFastHec, type FastHec } from './fast-hec.util';

const entry = (tenant: string, n: number): string =>
  JSON.stringify({ ddsource: 'vigil', message: `event ${n}`, vigil: { tenant_id: `${tenant}-1` } });

/**
 * Sends raw HTTP/1.1 requests on one connection, back to back, and resolves with everything the double answered. With
 * `pieces` above 1, each request is written in that many parts, 20 ms apart, so the double reads it in several reads.
 */
function exchange(url: string, requests: Buffer[], answers: number, pieces = 1): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.split('HTTP/1.1 ').length - 1 === answers) {
        socket.end();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    void (async () => {
      for (const request of requests) {
        const size = Math.ceil(request.length / pieces);
        for (let at = 0; at < request.length; at += size) {
          socket.write(request.subarray(at, at + size));
          if (pieces > 1) await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
  });
}

const request = (path: string, body: Buffer, gzip: boolean): Buffer =>
  Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nhost: double\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
        (gzip ? 'content-encoding: gzip\r\n' : '') +
        '\r\n',
    ),
    body,
  ]);

describe('the fast SIEM double', () => {
  let double: FastHec;

  before(async () => {
    double = await startFastHec({ kind: 'datadog', marker: '"tenant_id":"bench-' });
  });

  after(() => double.close());

  it('counts the events of a gzipped body, and only the marked ones as marked', async () => {
    double.reset();
    const entries = [entry('bench', 1), entry('other', 2), entry('bench', 3)];
    const body = gzipSync(`[${entries.join(',')}]`);
    const answer = await exchange(double.url, [request('/api/v2/logs', body, true)], 1);
    assert.match(answer, /^HTTP\/1\.1 202 Accepted/);
    assert.equal(double.received(), 3);
    assert.equal(double.marked(), 2);
  });

  it('counts a large gzipped body that arrives in many reads, as plain bodies', async () => {
    double.reset();
    const entries = Array.from({ length: 5000 }, (_, n) => entry(n % 5 === 0 ? 'bench' : 'other', n));
    const text = `[${entries.join(',')}]`;
    const answer = await exchange(
      double.url,
      [request('/api/v2/logs', gzipSync(text), true), request('/api/v2/logs', Buffer.from(text), false)],
      2,
      5,
    );
    assert.equal(answer.split('202 Accepted').length - 1, 2);
    assert.equal(double.received(), 10_000);
    assert.equal(double.marked(), 2000);
  });

  it('answers requests of one connection in their order, when a gzipped body takes longer than the next', async () => {
    double.reset();
    const big = gzipSync(`[${Array.from({ length: 20_000 }, (_, n) => entry('bench', n)).join(',')}]`);
    // The second request, not an ingestion, is answered 404 at once unless the double keeps the order.
    const answer = await exchange(double.url, [request('/api/v2/logs', big, true), request('/elsewhere', Buffer.from('{}'), false)], 2);
    assert.match(answer, /^HTTP\/1\.1 202 Accepted[^]*HTTP\/1\.1 404 Not Found/);
    assert.equal(double.marked(), 20_000);
  });

  it('refuses a gzipped body larger than it holds, before reading it', async () => {
    double.reset();
    const head = Buffer.from(`POST /api/v2/logs HTTP/1.1\r\nhost: double\r\ncontent-length: ${2 ** 40}\r\ncontent-encoding: gzip\r\n\r\n`);
    const answer = await exchange(double.url, [head], 1);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });

  it('closes the connection of a body that does not inflate, counting nothing', async () => {
    double.reset();
    const answer = await exchange(double.url, [request('/api/v2/logs', Buffer.from('not gzip at all'), true)], 1);
    assert.equal(answer, '');
    assert.equal(double.received(), 0);
  });
});

describe('the fast SIEM double as Elasticsearch and as a webhook', () => {
  it('counts bulk documents by their action lines and names every item in its answer, as a cluster does', async () => {
    const es = await startFastHec({ kind: 'elasticsearch', marker: '"_index":"vigil-audit-bench-' });
    try {
      const line = (tenant: string, n: number): string =>
        `{"create":{"_index":"vigil-audit-${tenant}-1-2026.11.29","_id":"id-${n}"}}\n{"@timestamp":"t","message":"${n}"}\n`;
      const body = Buffer.from(line('bench', 1) + line('other', 2) + line('bench', 3));
      const answer = await exchange(
        es.url,
        [request('/_bulk?filter_path=errors,items.*.status', body, false), request('/', Buffer.alloc(0), false)],
        2,
      );
      const [bulk = '', root = ''] = answer.split('HTTP/1.1 ').slice(1);
      assert.deepEqual(JSON.parse(bulk.slice(bulk.indexOf('\r\n\r\n') + 4)), {
        errors: false,
        items: [{ create: { status: 201 } }, { create: { status: 201 } }, { create: { status: 201 } }],
      });
      // `GET /` and the setup's PUTs: answered 200, counting nothing.
      assert.match(root, /^200 OK/);
      assert.equal(es.received(), 3);
      assert.equal(es.marked(), 2);
    } finally {
      await es.close();
    }
  });

  it('counts NDJSON records by their newlines at /events, and nothing elsewhere', async () => {
    const hook = await startFastHec({ kind: 'webhook', marker: '"tenantId":"bench-' });
    try {
      const records = ['{"id":"1","tenantId":"bench-1","actor":{"id":"a"}}', '{"id":"2","tenantId":"other-1"}'];
      const body = Buffer.from(`${records.join('\n')}\n`);
      const answer = await exchange(hook.url, [request('/events', body, false), request('/elsewhere', body, false)], 2);
      assert.match(answer, /^HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 404 Not Found/);
      assert.equal(hook.received(), 2);
      assert.equal(hook.marked(), 1);
    } finally {
      await hook.close();
    }
  });
});
