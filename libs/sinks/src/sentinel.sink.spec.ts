import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { asimAuditRow } from './sentinel.sink';

const deploy = path.resolve(__dirname, '..', '..', '..', '..', 'deploy', 'sentinel');

function columns(file: string, pick: (doc: never) => { name: string; type: string }[]): Map<string, string> {
  const doc = JSON.parse(readFileSync(path.join(deploy, file), 'utf8')) as never;
  return new Map(pick(doc).map((c) => [c.name, c.type]));
}

describe('asimAuditRow', () => {
  it('maps an event onto ASIM Audit Event columns', () => {
    const event = anAuditEvent({ action: 'role.assigned', outcome: 'SUCCESS', severity: 'HIGH' });
    const row = asimAuditRow(event);
    assert.equal(row['EventType'], 'Create');
    assert.equal(row['EventResult'], 'Success');
    assert.equal(row['EventSeverity'], 'High');
    assert.equal(row['Operation'], 'role.assigned');
    assert.equal(row['VigilEventId'], event.id);
    assert.match(String(row['TimeGenerated']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(asimAuditRow(anAuditEvent({ action: 'user.disabled' }))['EventType'], 'Disable');
  });

  it('has exactly the columns the shipped table and rule declare (deploy/sentinel)', () => {
    const keys = Object.keys(asimAuditRow(anAuditEvent())).sort();
    const table = columns(
      'vigil-audit-table.json',
      (d: { properties: { schema: { columns: { name: string; type: string }[] } } }) => d.properties.schema.columns,
    );
    const rule = columns(
      'vigil-audit-dcr.json',
      (d: { resources: { properties: { streamDeclarations: Record<string, { columns: { name: string; type: string }[] }> } }[] }) =>
        d.resources[0]?.properties.streamDeclarations['Custom-VigilAudit_CL']?.columns ?? [],
    );
    assert.deepEqual([...table.keys()].sort(), keys);
    assert.deepEqual([...rule].sort(), [...table].sort());
    assert.equal(table.get('TimeGenerated'), 'datetime');
    assert.equal(table.get('AdditionalFields'), 'dynamic');
  });
});
