import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { boundedReason, classifyHttpAnswer, MAX_REASON_CHARS, MAX_RESPONSE_BYTES, SinkHttpClient } from './sink-http.client';

interface Local {
  url: string;
  hits: IncomingMessage[];
  close(): Promise<void>;
}

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Local> {
  const hits: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req);
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const post = (url: string) =>
  new SinkHttpClient().post({
    url,
    body: '[]',
    headers: { authorization: 'Bearer s3cr3t' },
    timeoutMs: 5000,
    signal: new AbortController().signal,
  });

describe(SinkHttpClient.name, () => {
  let elsewhere: Local;
  let redirecting: Local;
  let huge: Local;

  before(async () => {
    elsewhere = await serve((_req, res) => res.end('ok'));
    redirecting = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/collect?token=abc` });
      res.end();
    });
    huge = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('x'.repeat(1024 * 1024));
    });
  });

  after(async () => {
    await Promise.all([elsewhere.close(), redirecting.close(), huge.close()]);
  });

  it('never follows a redirect: the answer is the 3xx, with only the origin it pointed to', async () => {
    const answer = await post(redirecting.url);
    assert.equal(answer.status, 307);
    assert.equal(answer.redirectedTo, elsewhere.url);
    assert.equal(elsewhere.hits.length, 0, 'nothing reached the other origin');
    const result = classifyHttpAnswer(answer);
    assert.equal(result.kind, 'auth-failed');
    assert.ok(result.kind === 'auth-failed');
    assert.match(result.reason, /^HTTP 307: redirect to http:\/\/127\.0\.0\.1:\d+ refused; Vigil never follows redirects/);
    assert.doesNotMatch(result.reason, /token=abc/);
  });

  it('sends a body of chunks as one body with its length, not chunked, and gzips them whole', async () => {
    const bodies: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
    const collecting = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        bodies.push({ headers: req.headers, body: Buffer.concat(parts) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => collecting.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(collecting.address() as AddressInfo).port}`;
    const chunks = [Buffer.from('{"time":1}'), Buffer.from('{"time":2}{"time":3}'), Buffer.from('é')];
    const send = (gzip: boolean) =>
      new SinkHttpClient().post({ url, body: chunks, headers: {}, gzip, timeoutMs: 5000, signal: new AbortController().signal });
    try {
      assert.equal((await send(false)).status, 200);
      assert.equal((await send(true)).status, 200);
    } finally {
      collecting.closeAllConnections();
      await new Promise<void>((resolve) => collecting.close(() => resolve()));
    }
    const [plain, zipped] = bodies;
    assert.equal(plain?.body.toString(), '{"time":1}{"time":2}{"time":3}é');
    assert.equal(plain?.headers['content-length'], String(Buffer.concat(chunks).length));
    assert.equal(plain?.headers['transfer-encoding'], undefined);
    assert.equal(zipped?.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped?.body ?? Buffer.alloc(0)).toString(), '{"time":1}{"time":2}{"time":3}é');
  });

  it('gzips at the level asked, and at zlib’s fastest when none is', async () => {
    const bodies: Buffer[] = [];
    const collecting = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(parts));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => collecting.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(collecting.address() as AddressInfo).port}`;
    const body = Buffer.from(
      JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, action: `user.login.${i % 7}`, tenant: `t-${i % 13}` }))),
    );
    const send = (gzipLevel?: number) =>
      new SinkHttpClient().post({ url, body, headers: {}, gzip: true, gzipLevel, timeoutMs: 5000, signal: new AbortController().signal });
    try {
      for (const level of [undefined, 1, 9]) assert.equal((await send(level)).status, 200);
    } finally {
      collecting.closeAllConnections();
      await new Promise<void>((resolve) => collecting.close(() => resolve()));
    }
    const [byDefault, fastest, smallest] = bodies;
    assert.deepEqual(byDefault, gzipSync(body, { level: 1 }));
    assert.deepEqual(fastest, gzipSync(body, { level: 1 }));
    assert.deepEqual(smallest, gzipSync(body, { level: 9 }));
    assert.ok((smallest?.length ?? 0) < (fastest?.length ?? 0));
    assert.deepEqual(gunzipSync(smallest ?? Buffer.alloc(0)), body);
  });

  it('reads at most 64 KiB of an answer', async () => {
    const answer = await post(huge.url);
    assert.equal(answer.status, 400);
    assert.equal(answer.text.length, MAX_RESPONSE_BYTES);
    const result = classifyHttpAnswer(answer);
    assert.ok(result.kind === 'rejected');
    assert.equal(result.reason.length, MAX_REASON_CHARS);
  });
});

describe(boundedReason.name, () => {
  it('turns control characters into spaces and cuts the text to 512 characters', () => {
    assert.equal(boundedReason('bad\r\nX-Injected: yes\u0000'), 'bad X-Injected: yes ');
    const long = boundedReason('e'.repeat(10_000));
    assert.equal(long.length, MAX_REASON_CHARS);
    assert.ok(long.endsWith('…'));
    assert.equal(boundedReason('short'), 'short');
  });
});
