import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectorDefinition } from '@vigil/connector';
import { OperationsErrorCode, OperationsException } from './operations.exception';
import {
  describeArgs,
  MAX_REPLAY_LOOKBACK_MS,
  parseLookback,
  parseRate,
  parseTime,
  partitionRanges,
  replayCategories,
  REPLAY_LOOKBACK_MS,
  replayPosition,
  sameArgs,
  type ReplayPlan,
} from './replay-plan.util';

const plan: ReplayPlan = {
  topics: ['audit.b', 'audit.a'],
  start: new Map([
    ['audit.a', new Map([[0, '10']])],
    [
      'audit.b',
      new Map([
        [1, '5'],
        [0, '0'],
      ]),
    ],
  ]),
  end: new Map([
    ['audit.a', new Map([[0, '30']])],
    [
      'audit.b',
      new Map([
        [1, '5'],
        [0, '7'],
      ]),
    ],
  ]),
};

const invalidArgument = (err: unknown): boolean => err instanceof OperationsException && err.code === OperationsErrorCode.INVALID_ARGUMENT;

describe('partitionRanges', () => {
  it('counts per partition from the position (else the start) to the end, sorted by topic and partition', () => {
    const ranges = partitionRanges(plan, new Map([['audit.a', new Map([[0, '25']])]]));
    assert.deepEqual(ranges, [
      { topic: 'audit.a', partition: 0, start: '25', end: '30', messages: 5 },
      { topic: 'audit.b', partition: 0, start: '0', end: '7', messages: 7 },
      { topic: 'audit.b', partition: 1, start: '5', end: '5', messages: 0 },
    ]);
  });
});

describe('replayPosition', () => {
  it('takes the committed offset of each planned partition, else its start', () => {
    const position = replayPosition(plan, new Map([['audit.b', new Map([[0, '3']])]]));
    assert.deepEqual(
      [...(position.get('audit.b') ?? [])],
      [
        [1, '5'],
        [0, '3'],
      ],
    );
    assert.deepEqual([...(position.get('audit.a') ?? [])], [[0, '10']]);
  });
});

describe('replay arguments', () => {
  const connector = { name: 'siem', categories: ['authentication', 'automation'] } as unknown as ConnectorDefinition;

  it('parses ISO-8601 times and refuses anything else as an invalid argument', () => {
    assert.equal(parseTime('2026-01-31T00:00:00Z', '--from').toISOString(), '2026-01-31T00:00:00.000Z');
    assert.throws(() => parseTime('yesterday', '--from'), invalidArgument);
  });

  it('takes a positive rate or none', () => {
    assert.equal(parseRate(undefined), undefined);
    assert.equal(parseRate('250'), 250);
    assert.throws(() => parseRate('0'), invalidArgument);
  });

  it('reads a day and five minutes before --from unless --lookback says otherwise, in minutes, hours or days up to a week', () => {
    assert.equal(REPLAY_LOOKBACK_MS, 86_400_000 + 300_000);
    assert.equal(parseLookback(undefined), REPLAY_LOOKBACK_MS);
    assert.equal(parseLookback('0m'), 0);
    assert.equal(parseLookback('30m'), 1_800_000);
    assert.equal(parseLookback(' 2h '), 7_200_000);
    assert.equal(parseLookback('7d'), MAX_REPLAY_LOOKBACK_MS);
    for (const bad of ['8d', '-5m', '1.5h', '2 h', '90s', '1d2h', ''])
      assert.throws(
        () => parseLookback(bad),
        (err: unknown) => invalidArgument(err) && /--lookback must be/.test((err as Error).message),
        bad,
      );
  });

  it("takes the connector's categories, or a subset of them", () => {
    assert.deepEqual(replayCategories(connector, undefined), ['authentication', 'automation']);
    assert.deepEqual(replayCategories(connector, ' automation '), ['automation']);
    assert.throws(() => replayCategories(connector, 'organisation'), /does not take organisation/);
    assert.throws(() => replayCategories(connector, 'nope'), /unknown category nope/);
    assert.throws(() => replayCategories(connector, ','), /name at least one/);
  });

  it('compares arguments regardless of category order and describes them as the command line', () => {
    const a = { connector: 'siem', from: '2026-01-01T00:00:00.000Z', to: null, categories: ['automation', 'authentication'] as const };
    const b = { ...a, categories: ['authentication', 'automation'] as const };
    assert.equal(sameArgs({ ...a, categories: [...a.categories] }, { ...b, categories: [...b.categories] }), true);
    assert.equal(
      describeArgs({ ...a, categories: [...a.categories] }),
      '--from 2026-01-01T00:00:00.000Z --categories automation,authentication',
    );
  });
});
