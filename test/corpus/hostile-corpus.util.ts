import { toAvro, readerType, type AuthenticationEvent } from '@vigil/events';
import { anAuditEvent, avroLong, confluentFramed, withAttributeArrayClaiming } from '@vigil/testing';
import { v7 } from 'uuid';

/**
 * What must become of a corpus record, for the materializer (its own row or its own letter) and for every other
 * reader of the topic (a connector delivers it, the live tail shows it, when it decodes):
 * - `dead-letter`: one letter from the materializer with one of `reasons`; decode reasons letter at a connector too;
 * - `stored`: valid though odd, stored (and delivered);
 * - `expired`: valid but older than the store's retention: neither stored nor lettered (logged), still delivered.
 */
export type Expected = { kind: 'dead-letter'; reasons: readonly string[] } | { kind: 'stored' } | { kind: 'expired' };

export interface CorpusCase {
  name: string;
  key: string;
  value: Buffer | null;
  expected: Expected;
  /** The event's id when it decodes (what the store, the SIEM and the live tail are searched for). */
  eventId?: string;
  /** Whether the codec can decode it (readers other than the materializer deliver what decodes). */
  decodes: boolean;
}

/** Schema ids the corpus points at: this build's Avro schema of the topic, and two non-Avro schemas. */
export interface CorpusSchemaIds {
  avro: number;
  json: number;
  protobuf: number;
}

/** A seeded generator, so a failing case can be found again by its name. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cjk(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => String.fromCodePoint(0x4e00 + Math.floor(rand() * 0x5000))).join('');
}

function emoji(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => String.fromCodePoint(0x1f600 + Math.floor(rand() * 0x40))).join('');
}

/** Epoch microseconds of a day of January in year 1 (Date.UTC would read year 1 as 1901). */
function yearOne(day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(1, 0, day);
  return date.getTime() * 1000; // not exact beyond 2^53; callers use it in milliseconds
}

/** An Avro long of any size (zigzag varint), for values a JS number cannot hold exactly. */
function bigLong(n: bigint): Buffer {
  let z = n >= 0n ? n * 2n : -n * 2n - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  bytes.push(Number(z));
  return Buffer.from(bytes);
}

/** The body of an event as this build writes it (no validation: a producer may be old or hostile). */
export function avroBody(event: AuthenticationEvent): Buffer {
  return readerType('authentication').toBuffer(toAvro(event));
}

/**
 * The hostile-input corpus: generated and hand-written records for `audit.authentication`, each with what must become
 * of it. Keys spread the cases over the topic's partitions; the tenant of each decodable case is `tenant`.
 */
export function hostileCorpus(ids: CorpusSchemaIds, tenant: string, seed = 11): CorpusCase[] {
  const rand = random(seed);
  const cases: CorpusCase[] = [];
  const key = (): string => `${tenant}-${cases.length % 7}`;
  const event = (overrides: Partial<AuthenticationEvent> = {}): AuthenticationEvent =>
    anAuditEvent({ tenantId: tenant, id: v7(), attributes: {}, ...overrides });
  const bad = (name: string, value: Buffer | null, reasons: readonly string[], eventId?: string): void => {
    // Cases built from an event the codec reads (the store refuses it) carry its id; the others do not decode.
    const decodes = eventId !== undefined;
    cases.push({ name, key: key(), value, expected: { kind: 'dead-letter', reasons }, decodes, ...(eventId !== undefined && { eventId }) });
  };
  const valid = (name: string, e: AuthenticationEvent, expected: Expected = { kind: 'stored' }): void => {
    cases.push({ name, key: key(), value: confluentFramed(ids.avro, avroBody(e)), expected, eventId: e.id, decodes: true });
  };

  // Not Confluent framing at all.
  bad('null value', null, ['framing']);
  bad('empty value', Buffer.alloc(0), ['framing']);
  for (let n = 1; n <= 4; n++) bad(`${n} zero bytes (shorter than the header)`, Buffer.alloc(n), ['framing']);
  bad('JSON text', Buffer.from('{"action":"user.login.failed","tenantId":"x"}'), ['framing']);
  bad('LogicHub-style broken JSON', Buffer.from('{"event_type": "login", "user": {"id": 42,'), ['framing']);
  for (let i = 0; i < 20; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
    bytes[0] = 1 + ((bytes[0] ?? 0) % 255);
    bad(`random bytes #${i}`, bytes, ['framing']);
  }
  // Wrong magic byte in front of an otherwise good message.
  for (let magic = 1; magic <= 12; magic++) {
    const value = confluentFramed(ids.avro, avroBody(event()));
    value[0] = magic * 20;
    bad(`magic byte ${magic * 20}`, value, ['framing']);
  }
  // Schema ids the registry does not know, and ids of schemas that are not Avro.
  for (let i = 0; i < 12; i++)
    bad(`unknown schema id #${i}`, confluentFramed(2_000_000_000 - i * 7919, avroBody(event())), ['unknown-schema']);
  bad('negative schema id', confluentFramed(-1, avroBody(event())), ['unknown-schema', 'bad-schema']);
  for (let i = 0; i < 5; i++) bad(`JSON Schema id #${i}`, confluentFramed(ids.json, avroBody(event())), ['bad-schema']);
  for (let i = 0; i < 5; i++) bad(`Protobuf schema id #${i}`, confluentFramed(ids.protobuf, avroBody(event())), ['bad-schema']);
  // Truncated bodies: every cut of a good body is undecodable (attributes, a map, ends it).
  const whole = avroBody(event());
  for (let i = 0; i < 30; i++) {
    const cut = Math.floor(((i + 1) / 31) * whole.length);
    bad(`body cut at ${cut} of ${whole.length} bytes`, confluentFramed(ids.avro, whole.subarray(0, cut)), ['avro']);
  }
  bad('header only', confluentFramed(ids.avro, Buffer.alloc(0)), ['avro']);
  // Giant counts and lengths where the attributes map and its array values start.
  const prefix = avroBody(event()).subarray(0, whole.length - 1);
  const claims = [2 ** 31, 2 ** 32, 2 ** 40, 2 ** 50, 2 ** 53 - 1, -(2 ** 40)];
  for (const count of claims) {
    bad(
      `attributes map claiming ${count} entries`,
      confluentFramed(ids.avro, Buffer.concat([prefix, avroLong(count), Buffer.from([2, 0x6b, 0])])),
      ['avro'],
    );
    const array = withAttributeArrayClaiming(whole, count);
    bad(`attribute array claiming ${count} items`, confluentFramed(ids.avro, array), ['avro']);
    const string = Buffer.concat([prefix, avroLong(1), avroLong(count), Buffer.from('k')]);
    bad(`attribute key claiming ${count} bytes`, confluentFramed(ids.avro, string), ['avro']);
  }
  bad(
    'union index 99 in attributes',
    confluentFramed(ids.avro, Buffer.concat([prefix, avroLong(1), avroLong(1), Buffer.from('k'), avroLong(99), Buffer.from([0])])),
    ['avro'],
  );
  bad('runaway varint', confluentFramed(ids.avro, Buffer.concat([prefix, Buffer.alloc(16, 0xff)])), ['avro']);
  // The envelope's own rules, checked when decoding.
  bad('empty tenantId', confluentFramed(ids.avro, avroBody(event({ tenantId: '' }))), ['envelope']);
  for (const id of ['not-a-uuid', '', '0'.repeat(64), cjk(rand, 36)])
    bad(`id "${id.slice(0, 12)}"`, confluentFramed(ids.avro, avroBody(event({ id }))), ['envelope']);

  // Valid Avro the store cannot hold: oversized indexed strings (btree row limit), NUL, values out of a column's range.
  for (let i = 0; i < 10; i++) {
    const e = event({ actor: { id: cjk(rand, 1024), name: null, type: 'USER', roles: [] } });
    bad(`actor.id of 1,024 random CJK characters #${i}`, confluentFramed(ids.avro, avroBody(e)), ['store-limit'], e.id);
  }
  for (let i = 0; i < 5; i++) {
    const e = event({ actor: { id: emoji(rand, 800), name: null, type: 'USER', roles: [] } });
    // 3,200 UTF-8 bytes, but from 64 code points sharing their first bytes: PostgreSQL compresses the index tuple
    // under the btree limit, so this one is stored (random CJK above does not compress and is refused).
    valid(`actor.id of 800 emoji #${i}`, e);
  }
  for (let i = 0; i < 5; i++) {
    const e = event({ action: `user.login.${cjk(rand, 1000)}` });
    bad(`action of 1,000 CJK characters #${i}`, confluentFramed(ids.avro, avroBody(e)), ['store-limit', 'envelope'], e.id);
  }
  // A service name is in the rollups' key and in no index of audit_event, which would refuse it first (audit-event.mapper.ts).
  for (let i = 0; i < 3; i++) {
    const e = event({ service: { name: cjk(rand, 1000), version: null, host: null } });
    bad(`service.name of 1,000 random CJK characters #${i}`, confluentFramed(ids.avro, avroBody(e)), ['envelope'], e.id);
  }
  for (const field of ['actor.id', 'description', 'tenantId', 'attribute'] as const) {
    for (let i = 0; i < 3; i++) {
      const nul = `a\u0000b${i}`;
      const e =
        field === 'actor.id'
          ? event({ actor: { id: nul, name: null, type: 'USER', roles: [] } })
          : field === 'description'
            ? event({ description: nul })
            : field === 'tenantId'
              ? event({ tenantId: `${tenant}\u0000` })
              : event({ attributes: { k: nul } });
      // The store's mapper replaces NUL with U+FFFD (sanitizeText: jsonb and text refuse NUL) and stores the event; a
      // tenantId holding one is stored under that tenant id with U+FFFD in its place.
      valid(`NUL in ${field} #${i}`, e);
    }
  }
  for (const ip of ['not-an-ip', '999.1.1.1', cjk(rand, 5)]) {
    const e = event({ client: { ip, userAgent: null } });
    // Stored with client_ip null and the raw value kept in an attribute (audit-event.mapper.ts).
    valid(`client.ip "${ip}"`, e);
  }

  // Valid though odd: stored (and delivered). The largest time a JS number holds exactly, 2^53 µs, is in 2255.
  valid('time 2^53 - 2 µs (year 2255)', event({ time: 2 ** 53 - 2 }));
  // Years 9999 and 1 in microseconds are beyond 2^53: written as a producer in another language would, byte by byte.
  // avsc reads Avro longs as JS numbers and refuses those beyond 2^53: such an event is undecodable here (`avro`).
  const timed = (name: string, micros: bigint): void => {
    const body = avroBody(event({ time: 0 }));
    const idBytes = 1 + 36; // the id: a one-byte length, then 36 characters; `time` follows
    bad(name, confluentFramed(ids.avro, Buffer.concat([body.subarray(0, idBytes), bigLong(micros), body.subarray(idBytes + 1)])), ['avro']);
  };
  for (let i = 0; i < 5; i++) timed(`year 9999 #${i}`, BigInt(Date.UTC(9999, 11, 31 - i)) * 1000n);
  for (let i = 0; i < 5; i++) timed(`year 1 #${i}`, BigInt(yearOne(1 + i) / 1000) * 1000n);
  // "1684" (-2^53 + 2 µs) as avsc itself writes it: its zigzag encoding of a long beyond -2^52 loses the sign, and the
  // bytes read back as +2^53 - 2 µs, year 2255. So this case is stored as a far-future event (in the default partition,
  // swept 30 days after it arrived), not as one older than the retention. A producer that writes the long correctly
  // (Java, Go) sends a zigzag value beyond 2^53, which avsc refuses on reading: `avro`, like the year 1 cases above.
  for (let i = 0; i < 3; i++) valid(`year 1684 #${i}`, event({ time: -(2 ** 53) + 2 + i }));
  for (let i = 0; i < 5; i++) {
    const e = event({ actor: { id: cjk(rand, 100), name: cjk(rand, 2000), type: 'USER', roles: [] } });
    valid(`100 CJK actor.id, 2,000 CJK actor.name #${i}`, e);
  }
  for (let i = 0; i < 5; i++)
    valid(`2,000 attributes #${i}`, event({ attributes: Object.fromEntries(Array.from({ length: 2000 }, (_, k) => [`a${k}`, k])) }));
  for (let i = 0; i < 3; i++)
    valid(`attribute array of 5,000 strings #${i}`, event({ attributes: { list: Array.from({ length: 5000 }, (_, k) => `v${k}`) } }));
  for (let i = 0; i < 3; i++) valid(`attribute holding 200 KB of text #${i}`, event({ attributes: { blob: 'x'.repeat(200_000) } }));
  valid('deeply nested JSON text as an attribute (a string to Avro)', event({ attributes: { json: '['.repeat(5000) + ']'.repeat(5000) } }));
  // Invalid UTF-8 inside an Avro string: decoded with replacement characters, stored like any other string.
  for (let i = 0; i < 5; i++) {
    const e = event({ description: `marker${i}marker` });
    const body = avroBody(e);
    const at = body.indexOf(`marker${i}marker`);
    body[at + 6] = 0xff; // the digit becomes a lone 0xff byte
    cases.push({
      name: `invalid UTF-8 in description #${i}`,
      key: key(),
      value: confluentFramed(ids.avro, body),
      expected: { kind: 'stored' },
      eventId: e.id,
      decodes: true,
    });
  }
  // Duplicate ids: the same event three times, stored once.
  for (let i = 0; i < 5; i++) {
    const e = event();
    for (let copy = 0; copy < 3; copy++) valid(`duplicate id #${i} copy ${copy}`, e);
  }
  return cases;
}
