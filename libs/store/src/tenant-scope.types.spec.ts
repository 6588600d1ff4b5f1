import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantScope } from './tenant-scope.types';

const event = (tenantId: string, actorId: string, targets: { type: string; id: string }[]) => ({
  tenantId,
  actor: { id: actorId },
  targets,
});

describe(TenantScope.name, () => {
  it('binds cursors to the restriction: every scope digests differently, an unrestricted viewer as its tenant', () => {
    const digests = [
      TenantScope.all(),
      TenantScope.tenant('t'),
      TenantScope.tenant('u'),
      TenantScope.viewer('t', { actorId: 'a' }),
      TenantScope.viewer('t', { actorId: 'b' }),
      TenantScope.viewer('t', { target: { type: 'doc', id: 'a' } }),
      TenantScope.viewer('t', { target: { type: 'a', id: 'doc' } }),
      TenantScope.viewer('t', { actorId: 'a', target: { type: 'doc', id: 'a' } }),
      TenantScope.viewer('u', { actorId: 'a' }),
    ].map((scope) => scope.digest());
    assert.equal(new Set(digests).size, digests.length, digests.join(' '));
    assert.equal(TenantScope.viewer('t', {}).digest(), TenantScope.tenant('t').digest());
    assert.equal(TenantScope.viewer('t', { actorId: 'a' }).digest(), TenantScope.viewer('t', { actorId: 'a' }).digest());
  });

  it('includes an event of its tenant, and of its actor and target when restricted', () => {
    const scope = TenantScope.viewer('t', { actorId: 'a', target: { type: 'doc', id: 'd' } });
    assert.equal(scope.isRestricted, true);
    assert.equal(
      scope.includes(
        event('t', 'a', [
          { type: 'user', id: 'x' },
          { type: 'doc', id: 'd' },
        ]),
      ),
      true,
    );
    assert.equal(scope.includes(event('u', 'a', [{ type: 'doc', id: 'd' }])), false);
    assert.equal(scope.includes(event('t', 'b', [{ type: 'doc', id: 'd' }])), false);
    assert.equal(scope.includes(event('t', 'a', [{ type: 'doc', id: 'e' }])), false);
    assert.equal(scope.includes(event('t', 'a', [])), false);
    assert.equal(TenantScope.tenant('t').includes(event('t', 'b', [])), true);
    assert.equal(TenantScope.tenant('t').isRestricted, false);
    assert.equal(TenantScope.all().includes(event('u', 'b', [])), true);
  });

  it('refuses empty ids and cannot be changed after the fact', () => {
    assert.throws(() => TenantScope.viewer('', { actorId: 'a' }), /tenant id/);
    assert.throws(() => TenantScope.viewer('t', { actorId: '' }), /actor/);
    assert.throws(() => TenantScope.viewer('t', { target: { type: 'doc', id: '' } }), /target/);
    const restriction = { actorId: 'a' };
    const scope = TenantScope.viewer('t', restriction);
    restriction.actorId = 'b';
    assert.equal(scope.restriction?.actorId, 'a', 'the scope keeps its own copy');
    assert.ok(Object.isFrozen(scope.restriction));
  });
});
