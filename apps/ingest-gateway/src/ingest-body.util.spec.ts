import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BodyBudget, IngestRefusal, parseJsonBody, readBody } from './ingest-body.util';

function request(body: Buffer, headers: Record<string, string> = {}): IncomingMessage {
  const stream = Readable.from([body.subarray(0, body.length / 2), body.subarray(body.length / 2)]);
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

async function refusal(promise: Promise<unknown>): Promise<IngestRefusal> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IngestRefusal) return err;
    throw err;
  }
  return assert.fail('expected a refusal');
}

describe(readBody.name, () => {
  it('reads plain and gzipped bodies, and cuts one off as soon as it inflates past the bound', async () => {
    const json = Buffer.from(JSON.stringify({ a: 'x'.repeat(1000) }));
    assert.deepEqual(await readBody(request(json), 2000), json);
    assert.deepEqual(await readBody(request(gzipSync(json), { 'content-encoding': 'gzip' }), 2000), json);
    const bomb = gzipSync(Buffer.alloc(10_000_000));
    const refused = await refusal(readBody(request(bomb, { 'content-encoding': 'gzip' }), 100_000));
    assert.deepEqual([refused.status, refused.code], [413, 'BODY_TOO_LARGE']);
    assert.equal((await refusal(readBody(request(json, { 'content-encoding': 'br' }), 2000))).status, 415);
  });

  it('holds what every request being read takes from one budget, and gives it back', async () => {
    const budget = new BodyBudget(3000);
    const body = Buffer.alloc(2000, 'a');
    const first = await readBody(request(body), 10_000, budget);
    const busy = await refusal(readBody(request(body), 10_000, budget));
    assert.deepEqual([busy.status, busy.code, busy.headers['retry-after']], [503, 'BUSY', '1']);
    budget.release(first.length);
    assert.equal((await readBody(request(body), 10_000, budget)).length, 2000, 'room again once the first was answered');
  });

  it('gives back what a gzipped upload reserved when its client goes away mid-body', async () => {
    const budget = new BodyBudget(1_000_000);
    const stream = new PassThrough();
    const req = Object.assign(stream, { headers: { 'content-encoding': 'gzip' } }) as unknown as IncomingMessage;
    const reading = readBody(req, 10_000_000, budget);
    const gz = gzipSync(Buffer.alloc(500_000, 'a'));
    stream.write(gz.subarray(0, gz.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.destroy();
    const refused = await refusal(reading);
    assert.deepEqual([refused.status, refused.message], [400, 'the client closed the connection before the body ended']);
    assert.equal(budget.take(1_000_000), true, 'everything it held is free again');
  });

  it('says where JSON breaks', () => {
    const refused = (() => {
      try {
        parseJsonBody(Buffer.from('{\n  "a": 1\n  "b": 2\n}'));
      } catch (err) {
        return err as IngestRefusal;
      }
      return undefined;
    })();
    assert.match(refused?.message ?? '', /line 3, column 3: comma expected/);
  });
});
