import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { inheritedEnvironment } from '@vigil/config';
import { repoRoot } from '@vigil/testing';

/**
 * `npm test` runs the test files the way scripts/lib/tests.mts does: `--test-force-exit`, with
 * scripts/lib/test-exit.mts preloaded. Without the preload Node's forced exit can cut off a file's last results
 * (nodejs/node#64833): of a file of 2,000 tests, 1,930–1,997 were reported in three runs of eight here.
 */
const PRELOAD = pathToFileURL(path.join(repoRoot, 'scripts', 'lib', 'test-exit.mts')).href;
const MANY = 2_000;

interface Run {
  code: number | null;
  out: string;
}

function runTests(files: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // NODE_TEST_CONTEXT (set in this spec's own process by the runner) would make the inner runner report to us.
    const { NODE_TEST_CONTEXT: _ignored, ...parentEnv } = inheritedEnvironment();
    const child = spawn(process.execPath, ['--import', PRELOAD, '--test', '--test-force-exit', ...files], {
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

function reported(out: string, what: 'tests' | 'pass' | 'fail'): number {
  const match = new RegExp(`^ℹ ${what} (\\d+)$`, 'm').exec(out);
  assert.ok(match, `the runner printed no "${what}" count:\n${out.slice(-2_000)}`);
  return Number(match[1]);
}

describe('test files ended by --test-force-exit (scripts/lib/test-exit.mts)', () => {
  let dir: string;
  let many: string;
  let leaky: string;
  let exiting: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-test-exit-'));
    many = path.join(dir, 'many.test.cjs');
    const lines = ["const { test } = require('node:test');"];
    for (let i = 1; i <= MANY; i++) lines.push(`test('t${i}', () => {});`);
    writeFileSync(many, `${lines.join('\n')}\n`);
    // A file that leaves a timer running (as a test that forgets to close a client does), with a last test that
    // fails on demand and a slow top-level hook that must still run to its end.
    exiting = path.join(dir, 'exiting.test.cjs');
    writeFileSync(
      exiting,
      [
        "const { test } = require('node:test');",
        "test('exits', () => { process.exit(3); console.log('after the exit'); });",
        "test('never runs', () => { console.log('after the exit'); });",
        '',
      ].join('\n'),
    );
    leaky = path.join(dir, 'leaky.test.cjs');
    writeFileSync(
      leaky,
      [
        "const { test, after } = require('node:test');",
        'setInterval(() => {}, 1_000);',
        'for (let i = 0; i < 500; i++) test(`l${i}`, () => {});',
        "test('the last test', () => { if (process.env.FAIL_LAST === '1') throw new Error('the last test failed'); });",
        "after(async () => { await new Promise((r) => setTimeout(r, 300)); console.log('the slow hook finished'); });",
        '',
      ].join('\n'),
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a test’s own process.exit() as it is: the process ends there', async () => {
    const { code, out } = await runTests([exiting]);
    assert.notEqual(code, 0, out.slice(-2_000));
    assert.doesNotMatch(out, /after the exit/);
  });

  it('reports every test of a file of 2,000, run after run', async () => {
    for (let round = 0; round < 4; round++) {
      const { code, out } = await runTests([many]);
      assert.equal(code, 0, out.slice(-2_000));
      assert.equal(reported(out, 'tests'), MANY, `round ${round}`);
      assert.equal(reported(out, 'pass'), MANY, `round ${round}`);
    }
  });

  it('still ends a file that leaves a timer open, after its hooks, and keeps its last failure', async () => {
    const passing = await runTests([leaky, many]);
    assert.equal(passing.code, 0, passing.out.slice(-2_000));
    assert.equal(reported(passing.out, 'tests'), 501 + MANY);
    assert.match(passing.out, /the slow hook finished/);

    const failing = await runTests([leaky], { FAIL_LAST: '1' });
    assert.equal(failing.code, 1);
    assert.equal(reported(failing.out, 'fail'), 1);
    assert.match(failing.out, /✖ the last test/);
    assert.match(failing.out, /the last test failed/);
  });
});
