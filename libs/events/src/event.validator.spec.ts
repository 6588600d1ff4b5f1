import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from './generated/event.types';
import { completePayload } from './avro.codec';
import { EVENT_LIMITS, misspeltFieldIssues, STORE_INDEX_BUDGET, validateEvent } from './event.validator';
import { randomCjk, randomEmoji } from '@vigil/testing';

const NOW = Date.UTC(2026, 10, 21, 12) * 1000;

function validEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: AuditEvent = {
    id: '01936f5e-8a3b-7c3d-9e4f-0123456789ab',
    time: NOW - 1_000_000,
    observedTime: NOW,
    tenantId: 'acme',
    category: 'authentication',
    action: 'user.login.failed',
    outcome: 'FAILURE',
    severity: 'MEDIUM',
    actor: { id: 'u-1', name: 'alice', type: 'USER', roles: ['analyst'] },
    client: { ip: '203.0.113.7', userAgent: 'curl/8' },
    targets: [{ type: 'session', id: 's-1', name: null }],
    http: { method: 'POST', url: '/login', operation: null, statusCode: 401 },
    service: { name: 'auth', version: '1.2.3', host: 'auth-1' },
    correlationId: 'c-1',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    description: 'failed login',
    payload: null,
    attributes: { attempts: 3, ratio: 0.5, mfa: false, tags: ['a'], note: 'x' },
  };
  return { ...event, ...overrides };
}

/** The JSON size the validator reports for the base event with these attributes. */
const rulesBytes = (attributes: Record<string, unknown>): number => Buffer.byteLength(JSON.stringify(validEvent({ attributes })));

const rules = (event: unknown): string[] => validateEvent(event, { nowMicros: NOW }).map((i) => `${i.path}: ${i.rule}`);

describe('validateEvent', () => {
  it('accepts a complete event', () => {
    assert.deepEqual(rules(validEvent()), []);
  });

  it('names a missing required field by path', () => {
    const event = validEvent();
    event['actor'] = { name: null, type: 'USER', roles: [] };
    assert.deepEqual(rules(event), ['actor.id: required']);
  });

  it('suggests the closest action for a typo', () => {
    assert.deepEqual(rules(validEvent({ action: 'user.logn.failed' })), [
      'action: unknown action "user.logn.failed"; did you mean "user.login.failed"?',
    ]);
  });

  it('refuses an action on the wrong category', () => {
    assert.match(
      rules(validEvent({ action: 'role.created' })).join('\n'),
      /category: action "role.created" belongs to category "[a-z-]+", not "authentication"/,
    );
  });

  it('refuses enum values outside the schema', () => {
    assert.deepEqual(rules(validEvent({ outcome: 'MAYBE' })), ['outcome: must be one of SUCCESS, FAILURE, UNKNOWN']);
  });

  it('refuses malformed ids, addresses and trace context', () => {
    const found = rules(validEvent({ id: 'not-a-uuid', client: { ip: '999.1.1.1', userAgent: null }, traceId: 'XYZ', spanId: '123' }));
    assert.deepEqual(found.sort(), [
      'client.ip: must be an IPv4 or IPv6 address',
      'id: must be a UUID (Vigil generates UUIDv7)',
      'spanId: must be 16 lowercase hex characters',
      'traceId: must be 32 lowercase hex characters',
    ]);
  });

  it('refuses timestamps far in the future or before 2000', () => {
    assert.deepEqual(rules(validEvent({ time: NOW + 2 * 86_400_000_000 })), [
      'time: must be between 2000-01-01 and one day from now (epoch microseconds)',
    ]);
    assert.equal(rules(validEvent({ time: 0 })).length, 1);
  });

  it('refuses unsupported attribute values and bad keys', () => {
    assert.deepEqual(rules(validEvent({ attributes: { nested: { a: 1 }, 'bad key': 'x', nan: Number.NaN } })).sort(), [
      'attributes.bad key: key must match ^[A-Za-z_][A-Za-z0-9_.-]*$ and be at most 128 characters',
      'attributes.nan: must be a string, a finite number, a boolean or an array of strings',
      'attributes.nested: must be a string, a finite number, a boolean or an array of strings',
    ]);
  });

  it('reports undeclared payload fields with a hint', () => {
    assert.deepEqual(rules(validEvent({ payload: { authMetod: 'password' } })), [
      'payload.authMetod: unknown field; did you mean "authMethod"?',
    ]);
  });

  it('bounds strings, lists and the tenant id', () => {
    const found = rules(
      validEvent({
        tenantId: 'a b',
        description: 'x'.repeat(9000),
        targets: Array.from({ length: 101 }, (_, i) => ({ type: 't', id: String(i), name: null })),
      }),
    );
    assert.deepEqual(found.sort(), [
      'description: at most 8192 bytes of UTF-8 (got 9000)',
      'targets: at most 100 targets',
      "tenantId: must be 1-128 characters of letters, digits, '.', '_', ':' or '-'",
    ]);
  });

  it('refuses 1,024 random CJK characters in actor.id: 3,072 bytes would not fit the actor index', () => {
    const id = randomCjk(1024);
    assert.equal(id.length, 1024);
    assert.deepEqual(rules(validEvent({ actor: { id, name: null, type: 'USER', roles: [] } })), [
      'actor.id: at most 1024 bytes of UTF-8 (got 3072)',
    ]);
  });

  it('counts emoji by their four UTF-8 bytes, accepting exactly the bound', () => {
    const fits = randomEmoji(EVENT_LIMITS.string / 4);
    assert.deepEqual(rules(validEvent({ actor: { id: fits, name: null, type: 'USER', roles: [] } })), []);
    const over = `${fits}x`;
    assert.deepEqual(rules(validEvent({ targets: [{ type: 'user', id: over, name: null }] })), [
      'targets.0.id: at most 1024 bytes of UTF-8 (got 1025)',
    ]);
  });

  it('gives http.url and payload strings the long bound, other nested strings the short one, and names their paths', () => {
    const payload = completePayload('authentication', { authMethod: 'password', failureReason: 'x'.repeat(5000) });
    const http = { method: 'POST', url: `/${'u'.repeat(5000)}`, operation: null, statusCode: 401 };
    assert.deepEqual(rules(validEvent({ http, payload })), []);
    const over = { ...http, url: `/${'u'.repeat(8192)}`, operation: `${'o'.repeat(1025)}\u0000` };
    assert.deepEqual(rules(validEvent({ http: over, payload: { ...payload, authMethod: 'p'.repeat(8193) } })).sort(), [
      'http.operation: at most 1024 bytes of UTF-8 (got 1026)',
      'http.operation: must not contain NUL characters or unpaired surrogates (sanitizeText)',
      'http.url: at most 8192 bytes of UTF-8 (got 8193)',
      'payload.authMethod: at most 8192 bytes of UTF-8 (got 8193)',
    ]);
  });

  it('bounds attribute strings and array items in bytes', () => {
    assert.deepEqual(rules(validEvent({ attributes: { note: randomCjk(3000), tags: ['ok', randomCjk(2731)] } })).sort(), [
      'attributes.note: at most 8192 bytes of UTF-8 (got 9000)',
      'attributes.tags.1: at most 8192 bytes of UTF-8 (got 8193)',
    ]);
  });

  it('refuses NUL and unpaired surrogates that were not sanitised', () => {
    assert.deepEqual(rules(validEvent({ description: 'a\u0000b', correlationId: 'x\uD800', attributes: { note: '\uDC00' } })).sort(), [
      'attributes.note: must not contain NUL characters or unpaired surrogates (sanitizeText)',
      'correlationId: must not contain NUL characters or unpaired surrogates (sanitizeText)',
      'description: must not contain NUL characters or unpaired surrogates (sanitizeText)',
    ]);
  });

  it('refuses undeclared fields of records in arrays too', () => {
    assert.deepEqual(rules(validEvent({ targets: [{ type: 't', id: '1', name: null, nmae: 'x' }] })), [
      'targets.0.nmae: unknown field; did you mean "name"?',
    ]);
  });

  it('finds in an input only the keys that look like a misspelt field the object lacks', () => {
    const input = {
      action: 'user.login.failed',
      acter: { id: 'u' },
      actor: { id: 'u', name: 'n', nam: 'near name, which is there', email: 'unlike any field', tpye: undefined },
      targets: [{ type: 't', id: '1', nmae: 'x' }],
      payload: { authMetod: 'left to validateEvent' },
    };
    assert.deepEqual(
      misspeltFieldIssues(input, 'authentication').map((i) => `${i.path}: ${i.rule}`),
      ['targets.0.nmae: unknown field; did you mean "name"?'],
      'acter is near actor, which the input has',
    );
    assert.deepEqual(
      misspeltFieldIssues({ acter: { id: 'u' } }, 'authentication').map((i) => i.path),
      ['acter'],
    );
    assert.deepEqual(misspeltFieldIssues({ acter: {} }, 'no-such-category'), []);
  });

  it('takes the category from the action, and reports other case and swapped letters, but not short keys near short names', () => {
    const paths = (input: Record<string, unknown>): string[] =>
      misspeltFieldIssues({ action: 'user.login.failed', actor: { id: 'u' }, ...input }).map((i) => `${i.path}: ${i.rule}`);
    assert.deepEqual(paths({ ID: 'x', tiem: 'y' }), ['ID: unknown field; did you mean "id"?', 'tiem: unknown field; did you mean "time"?']);
    // A client's own extra fields: two letters are no edit of `id`, four are one edit at most of `time` or `name`.
    assert.deepEqual(paths({ ip: 'x', ts: 1, uid: 'u', type: 't', name: 'n', site: 's', actor: { id: 'u', notes: 'n', email: 'e' } }), []);
    assert.deepEqual(paths({ actor: { id: 'u', role: 'admin' } }), ['actor.role: unknown field; did you mean "roles"?']);
  });

  it('bounds the whole event, whose fields may each be in bounds', () => {
    const attributes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, 'x'.repeat(8000)]));
    assert.deepEqual(rules(validEvent({ attributes })), [
      `(event): at most ${EVENT_LIMITS.event} bytes as JSON (got ${rulesBytes(attributes)})`,
    ]);
  });

  it('keeps the widest entry of every store index far under the btree limit of 2,704 bytes', () => {
    for (const [index, bytes] of Object.entries(STORE_INDEX_BUDGET)) assert.ok(bytes <= 2704 - 256, `${index}: ${bytes} bytes`);
  });

  it('refuses what is not an object', () => {
    assert.deepEqual(rules('nope'), ['(event): expected an object']);
    assert.deepEqual(rules(null), ['(event): expected an object']);
  });
});
