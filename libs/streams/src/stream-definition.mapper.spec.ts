import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toConnectorDefinition } from './stream-definition.mapper';
import { StreamException } from './stream.exception';

const ID = '01a21a86-b65f-706e-8cef-bb860f045608';
const policy = { allowInsecureHttp: false };

function problemsOf(work: () => unknown): readonly string[] {
  try {
    work();
  } catch (err) {
    if (err instanceof StreamException) return err.problems;
    throw err;
  }
  assert.fail('no problem reported');
}

describe('toConnectorDefinition', () => {
  it('builds a Splunk connector from settings and a sealed-then-opened token, with the stream’s filters', () => {
    const definition = toConnectorDefinition(
      {
        id: ID,
        tenantId: 'acme',
        type: 'splunk',
        config: {
          categories: ['authentication'],
          minSeverity: 'HIGH',
          settings: { url: 'https://splunk.example.com:8088', index: 'audit' },
        },
        secrets: { token: 'hec-token' },
      },
      policy,
    );
    assert.equal(definition.type, 'splunk');
    assert.deepEqual(definition.categories, ['authentication']);
    assert.equal(definition.minSeverity, 'HIGH');
    assert.equal(definition.startFrom, 'latest');
    const settings = definition.settings as { index: string; token: { reveal(): string } };
    assert.equal(settings.index, 'audit');
    assert.equal(settings.token.reveal(), 'hec-token');
    assert.doesNotMatch(JSON.stringify(definition), /hec-token/, 'a secret prints as its name only');
  });

  it('states problems in the stream’s own terms, never with a secret’s value', () => {
    const problems = problemsOf(() =>
      toConnectorDefinition(
        { id: ID, tenantId: 'acme', type: 'splunk', config: { settings: { url: 'http://splunk.example.com' } }, secrets: {} },
        policy,
      ),
    );
    assert.deepEqual(problems, ['secrets.token: is required']);
    const plain = problemsOf(() =>
      toConnectorDefinition(
        { id: ID, tenantId: 'acme', type: 'splunk', config: { settings: { url: 'http://splunk.example.com' } }, secrets: { token: 't' } },
        policy,
      ),
    );
    assert.deepEqual(plain, ['settings.url: must be an https URL']);
    const header = problemsOf(() =>
      toConnectorDefinition(
        {
          id: ID,
          tenantId: 'acme',
          type: 'http',
          config: { settings: { url: 'https://siem.example.com' } },
          secrets: { 'headers.X-Key': 'bad\r\nvalue-secret' },
        },
        policy,
      ),
    );
    assert.ok(
      header.some((p) => p.startsWith('secrets.headers.X-Key') || p.includes('secrets.headers.X-Key')),
      header.join('; '),
    );
    assert.doesNotMatch(header.join(' '), /value-secret/);
  });

  it('refuses secret references, the insecure switch and unknown types in settings', () => {
    const problems = problemsOf(() =>
      toConnectorDefinition(
        {
          id: ID,
          tenantId: 'acme',
          type: 'http',
          config: { settings: { url: 'https://x.example.com', tokenEnv: 'DATABASE_URL', allowInsecureHttp: true } },
          secrets: {},
        },
        policy,
      ),
    );
    assert.ok(problems.some((p) => p.startsWith('settings.tokenEnv: is a secret')));
    assert.ok(problems.some((p) => p.startsWith('settings.allowInsecureHttp: is decided by the platform')));
    assert.ok(
      problemsOf(() =>
        toConnectorDefinition({ id: ID, tenantId: 'acme', type: 'nosuch', config: { settings: {} }, secrets: {} }, policy),
      ).some((p) => p.startsWith('type: must be one of splunk, http')),
    );
  });

  it('takes a gzipLevel up to zlib’s default for a stream, and refuses the slower levels every tenant’s streams would pay for', () => {
    const hook = (gzipLevel: number) => ({
      id: ID,
      tenantId: 'acme',
      type: 'http',
      config: { settings: { url: 'https://x.example.com', gzip: true, gzipLevel } },
      secrets: {},
    });
    assert.equal((toConnectorDefinition(hook(6), policy).settings as { gzipLevel: number }).gzipLevel, 6);
    assert.deepEqual(
      problemsOf(() => toConnectorDefinition(hook(9), policy)),
      ["settings.gzipLevel: must be at most 6 for a stream (the streams app compresses every tenant's requests on the same threads)"],
    );
    assert.deepEqual(
      problemsOf(() => toConnectorDefinition(hook(0), policy)),
      ['settings.gzipLevel: must be a whole number from 1 (fastest) to 9 (smallest)'],
    );
  });
});
