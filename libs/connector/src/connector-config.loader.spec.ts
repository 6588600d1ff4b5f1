import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseConnectorConfig } from './connector-config.loader';
import type { ConnectorTypeSpec } from './connector-config.schema';
import { ConnectorException } from './connector.exception';
import type { Secret } from './secret.util';

const fakeSpec: ConnectorTypeSpec<{ url: string; token: Secret }> = {
  type: 'splunk',
  formats: ['hec'],
  defaultFormat: 'hec',
  settings: (secret) =>
    z.strictObject({ url: z.string(), tokenEnv: secret() }).transform(({ url, tokenEnv }) => ({ url, token: tokenEnv })),
};
const env = { SPLUNK_EU_TOKEN: 'hunter2-token' };

function problemsOf(text: string, environment: Record<string, string> = env): readonly string[] {
  try {
    parseConnectorConfig(text, { env: environment, specs: [fakeSpec] });
  } catch (err) {
    assert.ok(err instanceof ConnectorException);
    return err.problems;
  }
  assert.fail('expected the config to be refused');
}

describe('parseConnectorConfig', () => {
  it('applies defaults and resolves secrets by environment variable name', () => {
    const [c] = parseConnectorConfig(
      `connectors:\n  - name: splunk-eu\n    type: splunk\n    tenants: all\n    splunk: { url: 'https://s:8088', tokenEnv: SPLUNK_EU_TOKEN }\n`,
      { env, specs: [fakeSpec] },
    );
    assert.ok(c !== undefined);
    assert.equal(c.format, 'hec');
    assert.equal(c.enabled, true);
    assert.equal(c.categories.length, 9);
    assert.deepEqual(c.actions, { include: ['*'], exclude: [] });
    assert.deepEqual(c.batch, { maxEvents: 500, maxBytes: 900_000, lingerMs: 200, maxInFlight: 2 });
    assert.deepEqual(c.retry, { initialBackoffMs: 500, maxBackoffMs: 60_000 });
    const settings = c.settings as { token: Secret };
    assert.equal(settings.token.reveal(), 'hunter2-token');
    assert.doesNotMatch(JSON.stringify(c) + inspect(c) + String(settings.token), /hunter2/);
  });

  it('names the connector and field of every problem', () => {
    const problems = problemsOf(`connectors:
  - name: ok-one
    type: http
    tenants: all
  - name: splunk-eu
    type: splunk
    tenants: all
    format: ecs
    categories: [authentication, logins]
    batch: { maxEvents: 20000, lingerMs: -1 }
    retry: { initialBackoffMs: 5000, maxBackoffMs: 100 }
    splunk: { url: 'https://s:8088', tokenEnv: SPLUNK_US_TOKEN, extra: 1 }
  - type: nosuch
`);
    assert.ok(problems.includes('connectors[1] (splunk-eu).batch.maxEvents: must be <= 10000'), problems.join('\n'));
    assert.ok(problems.includes('connectors[1] (splunk-eu).batch.lingerMs: must be >= 0'));
    assert.ok(problems.some((p) => p.startsWith('connectors[1] (splunk-eu).categories[1]: must be one of authentication')));
    assert.ok(problems.includes('connectors[1] (splunk-eu).retry: maxBackoffMs must be >= initialBackoffMs'));
    assert.ok(problems.includes('connectors[2].name: is required'));
    assert.ok(problems.some((p) => p.startsWith('connectors[2].type: must be one of splunk, http')));
    assert.ok(problems.some((p) => p.startsWith('connectors[2].tenants: must say whose events it sends: `all` for every tenant')));
    assert.equal(problems.length, 7, problems.join('\n'));
  });

  it('makes a connector say whose events it sends: every tenant, or the listed ones', () => {
    const missing = problemsOf(`connectors:\n  - { name: hook, type: http, http: { url: 'https://siem.example.com' } }\n`);
    assert.deepEqual(missing, [
      "connectors[0] (hook).tenants: must say whose events it sends: `all` for every tenant (a platform-wide connector) or a list of tenant ids; a customer's own SIEM is a per-tenant stream (docs/streams.md)",
    ]);
    const [listed] = parseConnectorConfig(
      `connectors:\n  - { name: hook, type: http, tenants: [acme, globex], http: { url: 'https://siem.example.com' } }\n`,
      {
        env,
        specs: [],
      },
    );
    assert.deepEqual(listed?.tenants, ['acme', 'globex']);
  });

  it('checks the type block: format, unknown fields and missing secrets', () => {
    const problems = problemsOf(`connectors:
  - name: splunk-eu
    type: splunk
    tenants: all
    format: ecs
    splunk: { url: 'https://s:8088', tokenEnv: SPLUNK_US_TOKEN, extra: 1 }
`);
    assert.deepEqual([...problems].sort(), [
      'connectors[0] (splunk-eu).format: a splunk connector sends hec, not ecs',
      'connectors[0] (splunk-eu).splunk.tokenEnv: environment variable SPLUNK_US_TOKEN is not set',
      'connectors[0] (splunk-eu).splunk: unknown field extra',
    ]);
  });

  it('refuses a secret written in the file instead of a variable name, without echoing it', () => {
    const problems = problemsOf(
      `connectors:\n  - { name: s, type: splunk, tenants: all, splunk: { url: u, tokenEnv: 'abc-123-secret' } }\n`,
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^connectors\[0\] \(s\)\.splunk\.tokenEnv: must be the name of an environment variable/);
    assert.doesNotMatch(problems.join(), /abc-123-secret/);
  });

  it('requires the type block, unique names, valid extra fields and no block of another type', () => {
    const problems = problemsOf(`connectors:
  - { name: a, type: splunk, tenants: all, http: {} }
  - { name: b, type: http, tenants: all, extraFields: { paths: [nosuch.field] } }
  - { name: b, type: http, tenants: all }
`);
    assert.deepEqual(problems, [
      'connectors[0] (a).http: settings for http on a splunk connector',
      'connectors[0] (a).splunk: is required (the splunk settings block)',
      'connectors[1] (b).extraFields.paths[0]: "nosuch.field" starts with "nosuch", which is not an event field (id, time, observedTime, tenantId, category, action, outcome, severity, actor, client, targets, http, service, correlationId, traceId, spanId, description, payload, attributes)',
      'connectors[2] (b).name: duplicates connectors[1]; names must be unique',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    assert.throws(
      () => parseConnectorConfig('connectors:\n  - name: [unclosed\n', { env, specs: [] }),
      (err: unknown) => err instanceof ConnectorException && /not valid YAML/.test(err.message) && /line \d/.test(err.message),
    );
  });
});
