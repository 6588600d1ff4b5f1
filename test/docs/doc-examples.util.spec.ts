import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAssignment, shellBlocks } from './doc-examples.util';

const fence = '```';

describe('shellBlocks', () => {
  it('finds sh blocks, joins continued lines and leaves out comment-only lines', () => {
    const markdown = [
      '# Title',
      `${fence}sh`,
      'npm run vigil -- --help   # every command',
      '# a comment line',
      '',
      'curl -s \\',
      "  -d '{}' \\",
      '  localhost:4000/graphql',
      fence,
      `${fence}ts`,
      'const notShell = 1;',
      fence,
    ].join('\n');
    assert.deepEqual(shellBlocks(markdown, 'README.md'), [
      {
        file: 'README.md',
        line: 2,
        commands: ['npm run vigil -- --help   # every command', "curl -s \\\n  -d '{}' \\\n  localhost:4000/graphql"],
      },
    ]);
  });

  it('reads the not-run marker above a block, blank lines between allowed', () => {
    const markdown = ['<!-- not-run: needs a SIEM -->', '', `${fence}bash`, 'npm run vigil -- replay', fence].join('\n');
    assert.equal(shellBlocks(markdown, 'docs/replay.md')[0]?.notRun, 'needs a SIEM');
  });

  it('refuses a not-run marker without a reason', () => {
    const markdown = ['<!-- not-run: -->', `${fence}sh`, 'npm start', fence].join('\n');
    assert.throws(() => shellBlocks(markdown, 'README.md'), /must say why/);
  });

  it('does not take a shell line inside another block for a fence', () => {
    const markdown = [`${fence}`, '```sh', fence, `${fence}sh`, 'npm test', fence].join('\n');
    assert.deepEqual(
      shellBlocks(markdown, 'x.md').map((b) => b.commands),
      [['npm test']],
    );
  });
});

describe('isAssignment', () => {
  it('tells a variable assignment from a command', () => {
    assert.equal(isAssignment("FROM=$(node -p 'new Date().toISOString()')"), true);
    assert.equal(isAssignment("FROM=$(node -p 'new Date(Date.now() - 864e5).toISOString()')   # a day ago"), true);
    assert.equal(isAssignment('FROM=$(date -u) # now'), true);
    assert.equal(isAssignment('LOG_LEVEL=debug npm run vigil -- --help'), false);
    assert.equal(isAssignment('npm run vigil -- --help'), false);
  });
});
