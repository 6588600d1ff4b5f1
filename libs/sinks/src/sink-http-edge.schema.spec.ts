import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectorException, parseConnectorConfig } from '@vigil/connector';
import { SINK_SPECS } from './sink.catalog';

const env = {
  HOOK_AUTH: 'Bearer good-secret',
  HEC_TOKEN: 'good-token',
  BAD_AUTH: 'Bearer leaked-secret\r\nX-Injected: 1',
  BAD_TOKEN: 'leaked-token\n',
};

function problemsOf(connectors: string): readonly string[] {
  try {
    parseConnectorConfig(`connectors:\n${connectors}`, { env, specs: SINK_SPECS });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConnectorException);
    return err.problems;
  }
}

const hook = (http: string) => `  - name: hook\n    type: http\n    tenants: all\n    http: ${http}\n`;
const splunk = (block: string) => `  - name: hec\n    type: splunk\n    tenants: all\n    splunk: ${block}\n`;

describe('the HTTP edge of the sink settings', () => {
  it('requires https unless the block says allowInsecureHttp: true, naming the connector and field', () => {
    assert.deepEqual(problemsOf(hook("{ url: 'https://hooks.example.com/vigil' }")), []);
    assert.deepEqual(problemsOf(hook("{ url: 'http://hooks.example.com/vigil' }")), [
      'connectors[0] (hook).http.url: must be an https URL; set allowInsecureHttp: true in this block to send over plain http',
    ]);
    assert.deepEqual(problemsOf(hook("{ url: 'http://127.0.0.1:9000', allowInsecureHttp: true }")), []);
    assert.match(
      problemsOf(splunk("{ url: 'http://splunk:8088', tokenEnv: HEC_TOKEN }"))[0] ?? '',
      /^connectors\[0\] \(hec\)\.splunk\.url: must be an https URL/,
    );
    assert.deepEqual(problemsOf(splunk("{ url: 'http://splunk:8088', allowInsecureHttp: true, tokenEnv: HEC_TOKEN }")), []);
  });

  it('gzips at level 1 unless a block sets gzipLevel, a whole number from 1 to 9, on every HTTP sink', () => {
    const levelOf = (connector: string): unknown => {
      const [c] = parseConnectorConfig(`connectors:\n${connector}`, { env, specs: SINK_SPECS });
      return (c?.settings as { gzipLevel?: unknown } | undefined)?.gzipLevel;
    };
    assert.equal(levelOf(hook("{ url: 'https://h.example', gzip: true }")), 1);
    assert.equal(levelOf(hook("{ url: 'https://h.example', gzip: true, gzipLevel: 9 }")), 9);
    assert.equal(levelOf(splunk("{ url: 'https://s.example', tokenEnv: HEC_TOKEN, gzipLevel: 6 }")), 6);
    assert.deepEqual(
      [0, 10, 2.5, 10.5, "'6'"].map((level) => problemsOf(hook(`{ url: 'https://h.example', gzipLevel: ${level} }`))),
      [0, 10, 2.5, 10.5, "'6'"].map(() => ['connectors[0] (hook).http.gzipLevel: must be a whole number from 1 (fastest) to 9 (smallest)']),
    );
  });

  it('refuses header values with control characters, naming the connector and header but never the value', () => {
    const problems = [
      ...problemsOf(hook('{ url: \'https://h.example\', secretHeaders: { Authorization: BAD_AUTH }, headers: { X-Team: "a\\r\\nb" } }')),
      ...problemsOf(splunk("{ url: 'https://s.example', tokenEnv: BAD_TOKEN }")),
    ];
    assert.deepEqual(problems, [
      'connectors[0] (hook).http.headers.X-Team: must not contain control characters such as CR or LF',
      'connectors[0] (hook).http.secretHeaders.Authorization: environment variable BAD_AUTH holds a control character (such as CR or LF), which cannot go in an HTTP header',
      'connectors[0] (hec).splunk.tokenEnv: environment variable BAD_TOKEN holds a control character (such as CR or LF), which cannot go in an HTTP header',
    ]);
    assert.doesNotMatch(problems.join('\n'), /leaked|X-Injected/);
    assert.deepEqual(problemsOf(hook("{ url: 'https://h.example', secretHeaders: { Authorization: HOOK_AUTH } }")), []);
  });
});
