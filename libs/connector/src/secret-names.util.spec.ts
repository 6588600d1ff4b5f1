import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretNames } from './secret.util';

describe('secretNames', () => {
  it("names the environment variables of a connector block's *Env fields, however deep", () => {
    const block = { name: 'eu', type: 'splunk', splunk: { url: 'https://x', tokenEnv: 'SPLUNK_EU_TOKEN', tls: { caEnv: 'CA' } } };
    assert.deepEqual(secretNames(block), ['SPLUNK_EU_TOKEN', 'CA']);
  });

  it('names nothing for a block without secrets', () => {
    assert.deepEqual(secretNames({ name: 'eu', env: 'x' }), []);
    assert.deepEqual(secretNames(undefined), []);
  });
});
