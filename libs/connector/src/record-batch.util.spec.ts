import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinRecords, recordRuns } from './record-batch.util';

/** Records written back to back into one buffer, as an encode thread writes a partition batch's. */
function written(texts: readonly string[]): { bytes: Buffer }[] {
  const all = Buffer.from(texts.join(''));
  let at = 0;
  return texts.map((text) => {
    const length = Buffer.byteLength(text);
    const bytes = all.subarray(at, at + length);
    at += length;
    return { bytes };
  });
}

describe(joinRecords.name, () => {
  it('frames records with a one-byte separator, a longer one or none, byte for byte', () => {
    const records = written(['{"a":1}', '{"b":"é€"}', '{"c":[]}']);
    assert.equal(joinRecords(records, '[', ',', ']').toString(), '[{"a":1},{"b":"é€"},{"c":[]}]');
    assert.equal(joinRecords(records, '', '\n', '\n').toString(), '{"a":1}\n{"b":"é€"}\n{"c":[]}\n');
    assert.equal(joinRecords(records, '<', ', ', '>').toString(), '<{"a":1}, {"b":"é€"}, {"c":[]}>');
    assert.equal(joinRecords(records).toString(), '{"a":1}{"b":"é€"}{"c":[]}');
  });

  it('frames one record without a separator, and no record as the frame alone', () => {
    assert.equal(joinRecords(written(['{}']), '[', ',', ']').toString(), '[{}]');
    assert.equal(joinRecords([], '[', ',', ']').toString(), '[]');
    assert.equal(joinRecords([]).length, 0);
  });
});

describe(recordRuns.name, () => {
  it('sends the records of one buffer, back to back, as one view of it (no copy)', () => {
    const records = written(['{"a":1}', '{"b":"é"}', '{"c":3}']);
    const runs = recordRuns(records);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.buffer, records[0]?.bytes.buffer, "a view of the records' own memory");
    assert.equal(runs[0]?.toString(), '{"a":1}{"b":"é"}{"c":3}');
  });

  it('starts a run wherever the next record is not the very next bytes, and keeps the order', () => {
    const first = written(['{"a":1}', '{"b":2}', '{"c":3}']);
    const second = written(['{"d":4}', '{"e":5}']);
    // A record left out between two kept ones (a filtered event) breaks the run; another buffer starts a new one.
    const records = [first[0], first[2], ...second, first[1]].filter((r) => r !== undefined);
    const runs = recordRuns(records);
    assert.equal(runs.length, 4);
    assert.equal(Buffer.concat(runs).toString(), joinRecords(records).toString());
  });

  it('joins a body of many scattered records into one buffer, as joinRecords does', () => {
    // Buffer.alloc never takes node's shared pool: each record is a buffer of its own.
    const records = Array.from({ length: 100 }, (_, i) => {
      const text = `{"i":${i}}`;
      const bytes = Buffer.alloc(Buffer.byteLength(text));
      bytes.write(text);
      return { bytes };
    });
    const runs = recordRuns(records);
    assert.equal(runs.length, 1);
    assert.equal(Buffer.concat(runs).toString(), joinRecords(records).toString());
  });

  it('is empty for no records', () => {
    assert.deepEqual(recordRuns([]), []);
  });
});
