import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { anAuditEvent } from '@vigil/testing';
import { canonicalIp, chainForm, chainFormText } from './chain-form.util';
import { GENESIS, linkHexOfText, nextLink } from './hash-chain.util';

describe('the chain form', () => {
  it('keeps every field of an event whose key list looks like another event’s joined with a separator', () => {
    // A key holding U+0001 (a record written straight to Kafka or to the table) once matched another list in a cache
    // shared by every tenant's events, and that list's fields were left out of their hash.
    chainFormText(anAuditEvent({ attributes: { 'amount\u0001user': 1 } }));
    const a = chainFormText(anAuditEvent({ id: '0190f5c2-0000-7000-8000-000000000001', attributes: { amount: 100, user: 'bob' } }));
    const b = chainFormText(anAuditEvent({ id: '0190f5c2-0000-7000-8000-000000000001', attributes: { amount: 999999, user: 'bob' } }));
    assert.match(a, /"amount":100/);
    assert.notEqual(a, b);
  });

  it('writes the same text as RFC 8785 over the normalised event (the canonicalize package), for odd events too', () => {
    const events = [
      anAuditEvent(),
      anAuditEvent({ client: { ip: '2001:0DB8:0:0:0:0:0:1', userAgent: 'curl/8' } }),
      anAuditEvent({ client: { ip: 'not an address', userAgent: null } }),
      anAuditEvent({ attributes: { é: 'x', e: 1.5, z: -0, big: 2 ** 53, a: '\u2028', '\u{1F600}': 'emoji', b: 'a\u0000b' } }),
      anAuditEvent({ description: 'quote " backslash \\ tab \t lone \uD800', http: null }),
      // Index-like keys, which JavaScript objects list first: the exact writer takes these.
      anAuditEvent({ attributes: { '10': 'ten', '9': 'nine', '-1': 'minus', a: 'letter', ' ': 'space' } }),
      anAuditEvent({ attributes: { 'a\u0000': 1, b: 'x\uDC00y', c: 'pair \u{1F600}' } }),
    ];
    for (const event of events) assert.equal(chainFormText(event), canonicalize(chainForm(event)));
  });

  it('writes what normalising and RFC 8785 write, for a thousand random records of odd values and keys', () => {
    // The text is written straight from the event (no normalised copy); every stored link depends on it being the
    // same text the copy gave. Seeded, so a failure repeats.
    let seed = 18;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ['a', 'b', 'é', '10', '9', '0', '-1', ' ', 'a\u0000', 'a\uD800', 'a\uFFFD', '\u{1F600}', 'Z', 'ab', '__proto__'];
    const leaves: unknown[] = [
      null,
      undefined,
      'x',
      '',
      'lone \uDC00',
      'nul \u0000',
      'pair \u{1F600}',
      'back\\u0000slash',
      0,
      -0,
      1.5,
      2 ** 53,
      1e21,
      Number.NaN,
      Infinity,
      true,
      false,
      5n,
      {},
      [],
    ];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.5) return pick(leaves);
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      // Through JSON.parse, so `__proto__` is a key of its own, as in an export's line.
      const record: Record<string, unknown> = JSON.parse('{}') as Record<string, unknown>;
      for (let i = Math.floor(random() * 5); i > 0; i--)
        Object.defineProperty(record, pick(keys), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
      return record;
    };
    for (let i = 0; i < 1000; i++) {
      const event = { ...anAuditEvent(), attributes: value(0), payload: value(1), description: pick(leaves) } as Record<string, unknown>;
      assert.equal(chainFormText(event), canonicalize(chainForm(event)) ?? '{}', `record ${i}`);
    }
  });

  it('gives an event whose keys need sanitising the form of its stored copy, whose keys are sanitised', () => {
    // Keys were sorted before they were sanitised: `a\u0000` sorted before `ab`, its stored copy's `a\uFFFD` after.
    const published = anAuditEvent({ attributes: { 'a\u0000': 1, ab: 2, 'b\uD800': 3, 'b\uDC00': 4 } });
    const stored = { ...published, attributes: { ab: 2, 'a\uFFFD': 1, 'b\uFFFD': 4 } };
    assert.equal(chainFormText(published), chainFormText(stored));
    assert.match(chainFormText(published), /"attributes":\{"ab":2,"a\uFFFD":1,"b\uFFFD":4\}/);
  });

  it('links fixed events to the very links the build before the direct writer gave (f42450d), text included', () => {
    // Stored chains were linked by that build: a form that changed for any of these would break their verification.
    // These hold what the other tests compare against the same module's normalize and key cache.
    const base = {
      id: '0190F5C2-0000-7000-8000-00000000000A',
      time: 1795965147480123,
      observedTime: 1795965147481000,
      tenantId: 'acme',
      category: 'authentication',
      action: 'user.login.failed',
      outcome: 'FAILURE',
      severity: 'MEDIUM',
      actor: { id: 'user-7', name: 'Zoë <zoe@example.com>', type: 'USER', roles: ['analyst', 'admin'] },
      client: { ip: '2001:0DB8:0:0:0:0:0:1', userAgent: 'Mozilla/5.0 "quoted" \\ back' },
      targets: [{ type: 'session', id: 's-1', name: null }, {}],
      http: { method: 'POST', url: '/api/login?x=1&y=2', operation: null, statusCode: 401 },
      service: { name: 'auth', version: '2.4.1', host: null },
      correlationId: 'req-1',
      traceId: null,
      spanId: null,
      description: 'line\nbreak\ttab \u2028 日本語 😀',
      payload: { nested: { empty: {}, n: -0, big: 1e21, small: 1.5e-7, list: [1, null, 'x', {}, []] } },
      attributes: { attempt: 3, region: 'eu-west-1', '10': 'ten', '9': 'nine', flag: true },
    };
    const events: Record<string, unknown>[] = [
      base,
      { ...base, client: { ip: 'not an ip', userAgent: null }, attributes: { a: 1 } },
      { ...base, http: null, payload: null, attributes: { b: 'x\u0000y', c: 'lone \uD800' } },
      // Two key lists of one first key and length, one after the other: the second keeps its own field.
      { ...base, attributes: { a: 1, b: 2 } },
      { ...base, attributes: { a: 1, c: 3 } },
    ];
    const links = [
      'c48e0509401d3055d52ceff3cb4d10ccd492777edccef37f054ef0e2d37222a3',
      'a48bab8f4938c142cba920d0965277fb1fac26ed4e4611f2947ba7c1042aefbd',
      '333b90b43560274cb8310191bdb21c2188178389990480d3674ca8f63f668bc9',
      'ace98277dd295fd22f18969f9511237dc13f6bb7a71bbdc2afd59ac9bf9274af',
      '8b3195b1f5184c80b0d37fdfc0f0d1fd2088ab4ac1ec210f5d37602b92a31724',
    ];
    let link = GENESIS;
    events.forEach((event, i) => {
      const previous = link.toString('hex');
      link = nextLink(link, event);
      assert.equal(link.toString('hex'), links[i], `event ${i}`);
      assert.equal(linkHexOfText(previous, chainFormText(event)), links[i], `event ${i}, hex`);
    });
    assert.match(chainFormText(events[0] as Record<string, unknown>), /^\{"action":"user\.login\.failed","actor":\{"id":"user-7",/);
    assert.match(chainFormText(events[0] as Record<string, unknown>), /"attributes":\{"10":"ten","9":"nine","attempt":3,"flag":true,/);
    assert.match(chainFormText(events[4] as Record<string, unknown>), /"attributes":\{"a":1,"c":3\}/);
  });

  it('spells one IP address one way, whatever spelling a copy has (PostgreSQL writes ::ffff:1.2.3.4)', () => {
    assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(canonicalIp('::ffff:1.2.3.4'), canonicalIp('::ffff:102:304'));
    assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalIp('999.1.1.1'), undefined);
  });

  it('gives the published event and every copy of it the same bytes: absent, null and empty are one; id case; ip spelling', () => {
    const event = anAuditEvent({ client: { ip: '::ffff:1.2.3.4', userAgent: null }, http: null });
    const stored = {
      ...JSON.parse(JSON.stringify(event)),
      id: event.id.toUpperCase(),
      client: { ip: '::ffff:102:304' },
      http: { method: null, path: null },
    } as Record<string, unknown>;
    delete stored['description'];
    assert.equal(chainFormText(stored), chainFormText({ ...event, description: null }));
  });

  it('moves an address inet cannot hold into the attribute the store keeps it in', () => {
    const form = chainForm(anAuditEvent({ client: { ip: 'bogus', userAgent: null }, attributes: {} }));
    assert.deepEqual(form['attributes'], { 'vigil.invalidClientIp': 'bogus' });
    assert.equal(form['client'], undefined);
  });
});
