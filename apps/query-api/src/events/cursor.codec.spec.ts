import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryException } from '../query.exception';
import { CursorCodec } from './cursor.codec';
import { TenantScope, type EventFilter } from '@vigil/store';

const filter: EventFilter = { fromMicros: 1_000, toMicros: 9_000_000, toGiven: false, outcome: 'FAILURE' };
const last = { timeMicros: '1764000000123456', id: '0190f5c2-0000-7000-8000-000000000001' };
const codec = new CursorCodec('a-secret-of-sixteen-plus');
const tenantA = TenantScope.tenant('a');

function refusedOn(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof QueryException && err.field === 'after';
  }
}

describe(CursorCodec.name, () => {
  it('round-trips the position and pins the defaulted upper bound', () => {
    const cursor = codec.encode(last, 9_000_000, tenantA, filter, 'NEWEST_FIRST');
    const later = { ...filter, toMicros: 12_000_000 }; // `to` defaulted to a later now
    assert.deepEqual(codec.decode(cursor, tenantA, later, 'NEWEST_FIRST'), { after: last, toMicros: 9_000_000 });
  });

  it('refuses a cursor of another tenant, filter, order or secret, and any edit', () => {
    const cursor = codec.encode(last, 9_000_000, tenantA, filter, 'NEWEST_FIRST');
    assert.ok(refusedOn(() => codec.decode(cursor, TenantScope.tenant('b'), filter, 'NEWEST_FIRST')));
    assert.ok(refusedOn(() => codec.decode(cursor, TenantScope.all(), filter, 'NEWEST_FIRST')));
    assert.ok(refusedOn(() => codec.decode(cursor, tenantA, { ...filter, outcome: 'SUCCESS' }, 'NEWEST_FIRST')));
    assert.ok(refusedOn(() => codec.decode(cursor, tenantA, filter, 'OLDEST_FIRST')));
    assert.ok(refusedOn(() => new CursorCodec('another-secret-sixteen').decode(cursor, tenantA, filter, 'NEWEST_FIRST')));
    const [payload, signature] = cursor.split('.');
    const edited = Buffer.from(
      Buffer.from(payload ?? '', 'base64url')
        .toString()
        .replace('"t":"1764', '"t":"1765'),
    ).toString('base64url');
    assert.ok(refusedOn(() => codec.decode(`${edited}.${signature}`, tenantA, filter, 'NEWEST_FIRST')));
    for (const junk of ['', 'abc', 'a.b.c', `${payload}.`, '%%%.%%%'])
      assert.ok(
        refusedOn(() => codec.decode(junk, tenantA, filter, 'NEWEST_FIRST')),
        junk,
      );
  });

  it('hashes a given `to` into the cursor', () => {
    const given = { ...filter, toGiven: true };
    const cursor = codec.encode(last, 9_000_000, tenantA, given, 'NEWEST_FIRST');
    assert.ok(refusedOn(() => codec.decode(cursor, tenantA, { ...given, toMicros: 9_000_001 }, 'NEWEST_FIRST')));
  });
});
