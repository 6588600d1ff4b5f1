import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilities, clearCredential, loadCredential, saveCredential, takeFragmentToken, type Me } from './session.util.ts';

function memoryStore(): Map<string, string> & {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
} {
  const map = new Map<string, string>();
  return Object.assign(map, {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  });
}

describe('console session', () => {
  it('keeps a trimmed credential and forgets it on sign-out', () => {
    const store = memoryStore();
    assert.equal(loadCredential(store), null);
    saveCredential(store, '  vigil_abc_def \n');
    assert.equal(loadCredential(store), 'vigil_abc_def');
    clearCredential(store);
    assert.equal(loadCredential(store), null);
  });

  it('takes a viewer token out of the fragment and keeps the rest', () => {
    assert.deepEqual(takeFragmentToken('#token=eyJ.a.b&x=1'), { token: 'eyJ.a.b', rest: '#x=1' });
    assert.deepEqual(takeFragmentToken('#token=eyJ.a.b'), { token: 'eyJ.a.b', rest: '' });
    assert.equal(takeFragmentToken('#x=1'), null);
    assert.equal(takeFragmentToken(''), null);
    assert.equal(takeFragmentToken('#token='), null);
  });

  it('offers streams to admins only and integrity to whole-tenant readers', () => {
    const me: Me = {
      tenantId: 'acme',
      role: 'analyst',
      credential: 'API_KEY',
      expiresAt: null,
      actorId: null,
      targetType: null,
      targetId: null,
    };
    assert.deepEqual(capabilities(me), { streams: false, integrity: true, allTenants: false });
    assert.deepEqual(capabilities({ ...me, role: 'admin' }), { streams: true, integrity: true, allTenants: false });
    assert.deepEqual(capabilities({ ...me, role: 'platform-admin' }), { streams: true, integrity: true, allTenants: true });
    assert.deepEqual(capabilities({ ...me, role: 'viewer', credential: 'VIEWER_TOKEN', actorId: 'u1' }), {
      streams: false,
      integrity: false,
      allTenants: false,
    });
  });
});
