import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from './generated/event.types';
import { validateEvent } from './event.validator';

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

const rules = (event: unknown): string[] => validateEvent(event, NOW).map((i) => `${i.path}: ${i.rule}`);

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
      'description: at most 8192 bytes of UTF-8 (9000 given)',
      'targets: at most 100 targets',
      "tenantId: must be 1-128 characters of letters, digits, '.', '_', ':' or '-'",
    ]);
  });

  it('counts string bounds in UTF-8 bytes, as the store does: 1,024 CJK characters are 3,072 bytes', () => {
    const cjk = Array.from({ length: 1024 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 0x5000))).join('');
    assert.deepEqual(rules(validEvent({ actor: { id: cjk, name: null, type: 'USER', roles: [] } })), [
      'actor.id: at most 1024 bytes of UTF-8 (3072 given)',
    ]);
    // 341 CJK characters (1,023 bytes) fit; so do 256 emoji (1,024 bytes).
    assert.deepEqual(rules(validEvent({ actor: { id: cjk.slice(0, 341), name: '🔐'.repeat(256), type: 'USER', roles: [] } })), []);
    assert.deepEqual(rules(validEvent({ attributes: { tags: ['漢'.repeat(400)] } })), [
      'attributes.tags.0: at most 1024 bytes of UTF-8 (1200 given)',
    ]);
  });

  it('refuses NUL characters and unpaired surrogates, which no store can hold', () => {
    assert.deepEqual(rules(validEvent({ description: 'a\u0000b', attributes: { note: 'x\uD800' } })).sort(), [
      'attributes.note: must not contain NUL characters or unpaired surrogates',
      'description: must not contain NUL characters or unpaired surrogates',
    ]);
  });

  it('refuses what is not an object', () => {
    assert.deepEqual(rules('nope'), ['(event): expected an object']);
    assert.deepEqual(rules(null), ['(event): expected an object']);
  });
});
