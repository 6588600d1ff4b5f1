import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { RegistryHttpClient, withoutUserinfo } from './registry-http.client';

describe('RegistryHttpClient and a user and password written into its URL', () => {
  it('strips them from what it shows', () => {
    assert.equal(withoutUserinfo('http://vigil:s3cret@127.0.0.1:1/apis/ccompat/v7'), 'http://127.0.0.1:1/apis/ccompat/v7');
    assert.equal(withoutUserinfo('http://127.0.0.1:8081/apis'), 'http://127.0.0.1:8081/apis');
  });

  it('never names them in an error', async () => {
    const client = new RegistryHttpClient({ url: 'http://vigil:s3cret@127.0.0.1:1/apis/ccompat/v7', timeoutMs: 2_000 });
    await assert.rejects(
      () => client.lookup('audit.authentication-value', { type: 'string' }),
      (err: Error) =>
        /schema registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7 is not reachable/.test(err.message) &&
        !err.message.includes('s3cret'),
    );
  });

  it('sends them as Basic credentials instead', async () => {
    let authorization: string | undefined;
    const server = createServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify({ id: 7 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new RegistryHttpClient({ url: `http://vigil:s3cret@127.0.0.1:${port}`, timeoutMs: 2_000 });
      assert.equal(await client.register('audit.authentication-value', { type: 'string' }), 7);
      assert.equal(authorization, `Basic ${Buffer.from('vigil:s3cret').toString('base64')}`);
      // A malformed escape is sent as written rather than dropped (a 401 with no hint why).
      const odd = new RegistryHttpClient({ url: `http://vigil:p%zz@127.0.0.1:${port}`, timeoutMs: 2_000 });
      await odd.register('audit.authentication-value', { type: 'string' });
      assert.equal(authorization, `Basic ${Buffer.from('vigil:p%zz').toString('base64')}`);
    } finally {
      server.close();
    }
  });
});
