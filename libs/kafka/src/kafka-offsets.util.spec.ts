import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { positionOf, reached, topicLag } from './kafka-offsets.util';

const watermarks = [
  { partition: 0, low: '10', high: '100' },
  { partition: 1, low: '0', high: '50' },
];

describe('topicLag', () => {
  it('counts from the committed offset to the high watermark', () => {
    assert.equal(
      topicLag(
        watermarks,
        new Map([
          [0, '90'],
          [1, '50'],
        ]),
        'earliest',
      ),
      10,
    );
  });

  it('starts a partition without a committed offset at the earliest offset for an earliest group', () => {
    assert.equal(topicLag(watermarks, new Map([[1, '40']]), 'earliest'), 90 + 10);
  });

  it('counts nothing for a partition without a committed offset of a latest group', () => {
    assert.equal(topicLag(watermarks, undefined, 'latest'), 0);
  });

  it('never counts a committed offset past the high watermark as negative', () => {
    assert.equal(
      topicLag(
        watermarks,
        new Map([
          [0, '120'],
          [1, '50'],
        ]),
        'earliest',
      ),
      0,
    );
  });
});

describe('positionOf', () => {
  it('is the committed offset, but never before the earliest retained one', () => {
    assert.equal(positionOf('20', '10'), '20');
    assert.equal(positionOf('5', '10'), '10');
    assert.equal(positionOf(undefined, '10'), '10');
  });
});

describe('reached', () => {
  const end = new Map([
    [
      't',
      new Map([
        [0, '10'],
        [1, '5'],
      ]),
    ],
  ]);

  it('is true once every partition is at or past its end', () => {
    assert.equal(
      reached(
        new Map([
          [
            't',
            new Map([
              [0, '10'],
              [1, '7'],
            ]),
          ],
        ]),
        end,
      ),
      true,
    );
  });

  it('is false while a partition is short of its end or unknown', () => {
    assert.equal(reached(new Map([['t', new Map([[0, '10']])]]), end), false);
    assert.equal(
      reached(
        new Map([
          [
            't',
            new Map([
              [0, '9'],
              [1, '5'],
            ]),
          ],
        ]),
        end,
      ),
      false,
    );
  });
});
