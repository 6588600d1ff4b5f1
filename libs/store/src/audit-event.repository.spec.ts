import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeEvent, makeOrigin } from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { AUDIT_EVENT_INSERT_COLUMNS, copyLine } from './audit-event.repository';

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
});
