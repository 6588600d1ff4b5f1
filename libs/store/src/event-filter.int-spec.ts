import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CASE_EVENTS, CASE_TIME_MICROS, type CaseEvent, FILTER_CASES, scopeOfCase, requireStack, SchemaStore } from '@vigil/testing';
import { toRow } from './audit-event.mapper';
import { AuditEventRepository } from './audit-event.repository';
import { buildEventWhere } from './event-sql.mapper';

describe(`${buildEventWhere.name} over PostgreSQL`, () => {
  const store = new SchemaStore('filter');
  const names = new Map(Object.entries(CASE_EVENTS).map(([name, event]) => [event.id, name as CaseEvent]));

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    const rows = Object.values(CASE_EVENTS).map((e, i) => toRow(e, { topic: `audit.${e.category}`, partition: 0, offset: String(i) }));
    await new AuditEventRepository().insertBatchInTransaction(store.pool, rows);
  });
  after(() => store.drop());

  for (const c of FILTER_CASES) {
    it(`selects what the matcher selects: ${c.name}`, async () => {
      const scope = scopeOfCase(c);
      const filter = { fromMicros: CASE_TIME_MICROS, toMicros: CASE_TIME_MICROS + 1_000_000, toGiven: true, ...c.criteria };
      const where = buildEventWhere(scope, filter);
      const { rows } = await store.pool.query<{ id: string }>(`SELECT id FROM audit_event WHERE ${where.sql}`, where.params);
      assert.deepEqual(rows.map((r) => names.get(r.id)).sort(), [...c.matches].sort());
    });
  }
});
