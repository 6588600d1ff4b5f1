import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '@vigil/events';
import { NESTED_TOO_DEEP, otlpLogsToItems } from './otlp-logs.mapper';
import { fromStrivacity, fromThoughtSpot, importRecords } from './vendor-formats.mapper';
import { splitJsonRecords } from './json-records.util';

const fixtures = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'seeds');
const fixture = (file: string): string => readFileSync(path.join(fixtures, file), 'utf8');

describe('importing vendors’ audit records', () => {
  it('splits arrays, NDJSON and objects one after the other, each broken record on its own line and column', () => {
    assert.deepEqual(splitJsonRecords('[{"a":1},{"a":2}]'), [
      { line: 1, value: { a: 1 } },
      { line: 2, value: { a: 2 } },
    ]);
    assert.deepEqual(
      splitJsonRecords('{"a":1}\n{"a":"}"}\n').map((r) => ('value' in r ? r.value : r.error)),
      [{ a: 1 }, { a: '}' }],
    );
    const broken = splitJsonRecords('{ "a": 1 }\n{ "b": hlee }\n{ "c": 3 }');
    assert.deepEqual(
      broken.map((r) => ('value' in r ? 'ok' : r.error)),
      ['ok', 'not valid JSON: line 2, column 8: invalid symbol near "{ "b": hlee }"', 'ok'],
    );
  });

  it('publishes LogicHub’s documented examples, and refuses each of its six broken ones by line', () => {
    const records = importRecords('logichub', fixture('logichub/examples.txt'), 'acme');
    const refused = records.filter((r) => 'issues' in r.item);
    assert.equal(records.length, 48);
    assert.deepEqual(
      refused.map((r) => r.line),
      [43, 63, 74, 86, 372, 383],
    );
    assert.ok(
      refused.every(
        (r) =>
          'issues' in r.item && /^not valid JSON: line \d+, column \d+: (invalid symbol|comma expected)/.test(r.item.issues[0]?.rule ?? ''),
      ),
    );
    const locked = records.find((r) => 'input' in r.item && r.item.input['action'] === 'user.locked');
    assert.ok(locked !== undefined && 'input' in locked.item);
    assert.equal(locked.item.input['time'], Date.parse('2020-11-03T06:40:59Z') * 1000, '11/03/2020 12:10:59+05:30, month first');
    assert.deepEqual(locked.item.input['actor'], { id: 'admin', roles: [] });
    assert.equal(locked.item.input['outcome'], 'FAILURE');
  });

  it('maps Closer’s hit onto the envelope, and says why the document’s own cut-off example is not JSON', () => {
    const [repaired] = importRecords('closer', fixture('closer/example-repaired.json'), 'acme');
    assert.ok(repaired !== undefined && 'input' in repaired.item);
    const input = repaired.item.input;
    assert.deepEqual(
      [input['action'], input['outcome'], input['time'], (input['http'] as { statusCode: number }).statusCode],
      ['user.skills.updated', 'SUCCESS', Date.parse('2021-05-05T09:27:12.529Z') * 1000, 204],
    );
    assert.deepEqual(input['client'], { ip: null, userAgent: null }, '"/" is not an address');
    assert.equal((input['attributes'] as Record<string, unknown>)['source.address'], '/');
    const verbatim = importRecords('closer', fixture('closer/example-verbatim.txt'), 'acme');
    assert.deepEqual(
      verbatim.map((r) => ('issues' in r.item ? r.item.issues[0]?.rule : 'ok')),
      [
        'lines 1-6: text outside any JSON object (each record is one {...})',
        'line 6: the record starting here never closes (a missing "}")',
      ],
    );
  });

  it('knows every ThoughtSpot and Strivacity event name the catalog lists from their documents', () => {
    for (const entry of CATALOG)
      for (const source of entry.sources) {
        if (source.vendor === 'thoughtspot') {
          const item = fromThoughtSpot({ type: source.name, timestamp: '2024/03/05:10:22:31', userId: 'u1', ip: '203.0.113.9' });
          assert.equal('input' in item && item.input['action'], entry.action, source.name);
        }
        if (source.vendor === 'strivacity') {
          const item = fromStrivacity({ eventID: 'e1', eventType: source.name, timestamp: '2024-03-05T10:22:31Z', actor: 'c1' });
          assert.equal('input' in item && item.input['action'], entry.action, source.name);
        }
      }
    const unknown = fromThoughtSpot({ type: 'NOT_A_THING', timestamp: '2024/03/05:10:22:31' });
    assert.deepEqual('issues' in unknown && unknown.issues, [{ path: 'type', rule: 'no catalog action for ThoughtSpot\'s "NOT_A_THING"' }]);
  });

  it('gives two tenants importing the same record two ids, and refuses a record a mapper cannot read instead of failing the file', () => {
    const body = fixture('closer/example-repaired.json');
    const [a] = importRecords('closer', body, 'tenant-a');
    const [b] = importRecords('closer', body, 'tenant-b');
    assert.ok(a !== undefined && b !== undefined && 'input' in a.item && 'input' in b.item);
    assert.notEqual(a.item.input['id'], b.item.input['id']);
    const odd = importRecords(
      'strivacity',
      '{"eventType": "constructor", "timestamp": "2024-03-05T10:22:31Z"}\n{"eventType": "login", "timestamp": "2024-03-05T10:22:31Z"}',
      't',
    );
    assert.deepEqual(
      odd.map((r) => ('issues' in r.item ? r.item.issues[0]?.rule : r.item.input['action'])),
      ['no catalog action for Strivacity\'s "constructor"', 'user.login.succeeded'],
    );
  });

  it('keeps an OTLP client.address that is a host name as an attribute, not as the IP', () => {
    const [item] = otlpLogsToItems(
      {
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    body: { stringValue: 'Log on' },
                    attributes: [{ key: 'client.address', value: { stringValue: 'laptop.corp.example' } }],
                  },
                ],
              },
            ],
          },
        ],
      },
      'acme',
    );
    assert.ok(item !== undefined && 'input' in item);
    assert.deepEqual((item.input['client'] as { ip: unknown }).ip, null);
    assert.equal((item.input['attributes'] as Record<string, unknown>)['client.address'], 'laptop.corp.example');
  });

  it('refuses alone a record nested 20,000 levels deep, keeps the request’s other records, and cuts a deep value at 16 levels', () => {
    let deep: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 20_000; i++) deep = { kvlistValue: { values: [{ key: 'k', value: deep }] } };
    const record = (attributes: unknown[]) => ({ body: { stringValue: 'Log on' }, attributes });
    const items = otlpLogsToItems(
      {
        resourceLogs: [
          {
            scopeLogs: [{ logRecords: [record([{ key: 'deep', value: deep }]), record([{ key: 'plain', value: { stringValue: 'x' } }])] }],
          },
        ],
      },
      'acme',
    );
    assert.equal(items.length, 2);
    // Too deep to hash for its id: refused alone; the request's other record is read.
    assert.deepEqual(items[0], {
      issues: [{ path: 'logRecords', rule: 'a log record that could not be read: Maximum call stack size exceeded' }],
    });
    assert.ok(items[1] !== undefined && 'input' in items[1]);
    // Deep, but not too deep to read: kept, its value cut at MAX_VALUE_DEPTH levels.
    let nested: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) nested = { kvlistValue: { values: [{ key: 'k', value: nested }] } };
    const [kept] = otlpLogsToItems({ resourceLogs: [{ scopeLogs: [{ logRecords: [record([{ key: 'deep', value: nested }])] }] }] }, 'acme');
    assert.ok(kept !== undefined && 'input' in kept);
    assert.match(JSON.stringify(kept), new RegExp(NESTED_TOO_DEEP.replace(/[()]/g, '\\$&')));
  });
});
