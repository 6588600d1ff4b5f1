import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeEvent, makeOrigin } from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { AUDIT_EVENT_INSERT_COLUMNS, copyLine, rowValues } from './audit-event.repository';

describe(copyLine.name, () => {
  it('escapes backslash, tab, newline and carriage return in COPY text, and leaves every other value as it is', () => {
    const row = toRow(makeEvent({ description: 'a\tb\nc\\d\re', correlationId: 'plain', traceId: null }), makeOrigin());
    const line = copyLine(row);
    assert.ok(line.endsWith('\n'));
    const fields = line.slice(0, -1).split('\t');
    assert.equal(fields.length, AUDIT_EVENT_INSERT_COLUMNS.length, 'one field per column: no raw tab or newline inside');
    const at = (column: string) => fields[AUDIT_EVENT_INSERT_COLUMNS.indexOf(column)];
    assert.equal(at('description'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(at('correlation_id'), 'plain');
    assert.equal(at('kafka_partition'), String(row.kafkaPartition));
    assert.equal(at('trace_id'), '\\N');
  });

  it('writes every column of AUDIT_EVENT_INSERT_COLUMNS in order, as the columns read and COPY escapes them', () => {
    const escape = (v: string | number | null) =>
      v === null ? '\\N' : String(v).replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
    const rows = [
      toRow(makeEvent(), makeOrigin()),
      toRow(
        makeEvent({ actor: { id: 'a\tb', name: null, type: 'USER', roles: ['x"y', 'back\\slash', 'tab\t'] }, http: null }),
        makeOrigin(),
      ),
      { ...toRow(makeEvent({ client: { ip: 'not an ip', userAgent: 'ua\n' } }), makeOrigin()), chainSeq: '7', chainHash: 'ab'.repeat(32) },
    ];
    for (const row of rows) {
      const line = copyLine(row);
      assert.equal(line, `${rowValues(row).map(escape).join('\t')}\n`);
      assert.equal(line.slice(0, -1).split('\t').length, AUDIT_EVENT_INSERT_COLUMNS.length);
    }
    assert.match(copyLine(rows[2] as (typeof rows)[number]), /\t7\t\\\\xabab[ab]*\n$/);
  });
});
