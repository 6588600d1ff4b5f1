import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Delete, ForbiddenException, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { Audited, AuditModule, type AuditRequest } from '@vigil/audit-sdk';
import { allTopics, EventCodec, type AuditEvent } from '@vigil/events';
import { createKafka, RegistryHttpClient } from '@vigil/kafka';
import { collectFrom, endOffsets, requireStack, testEnv, uniqueName } from '@vigil/testing';
import { ensureAuditTopics } from './audit-topics.util';

const logger = pino({ level: 'silent' });
const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'audited-int-spec' }, logger);
const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
const admin = kafka.admin();

@Controller('users')
class UsersController {
  @Post(':id/roles')
  @Audited('user.role.updated', { targets: (req) => [{ type: 'user', id: (req as AuditRequest & { params: { id: string } }).params.id }] })
  grant(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Delete(':id')
  @Audited('user.deleted')
  remove(): never {
    throw new ForbiddenException('only owners delete users');
  }
}

/** Test-only authentication: the caller is whoever the headers say. */
function principalFromHeaders(req: AuditRequest) {
  const id = req.headers['x-test-user'];
  const tenantId = req.headers['x-test-tenant'];
  if (typeof id !== 'string' || typeof tenantId !== 'string') return undefined;
  return { id, name: 'Ada Lovelace', roles: ['administrator'], tenantId };
}

describe('@Audited over HTTP against the real broker and registry', () => {
  let app: INestApplication;
  let base: string;

  before(async () => {
    await requireStack(['kafka', 'registry']);
    await admin.connect();
    await ensureAuditTopics(admin);
    @Module({
      imports: [
        AuditModule.forRoot({
          kafka: { brokers: testEnv.kafkaBrokers },
          schemaRegistry: { url: testEnv.schemaRegistryUrl },
          service: { name: 'audited-int-spec', version: '1.2.3' },
          logger,
          trustedProxies: ['127.0.0.1', '::1'],
          principal: principalFromHeaders,
        }),
      ],
      controllers: [UsersController],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  after(async () => {
    await app.close();
    await admin.disconnect();
  });

  async function call(method: string, path: string, tenant: string, correlation: Record<string, string>): Promise<number> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'x-test-user': 'u-6006b946',
        'x-test-tenant': tenant,
        'x-forwarded-for': '6.6.6.6, 18.171.51.239',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/143.0.0.0',
        ...correlation,
      },
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('publishes the request, caller and outcome of a successful and a forbidden call before responding', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    assert.equal(await call('POST', '/users/u-42/roles?token=secret', tenant, { 'x-correlation-id': 'corr-grant' }), 201);
    assert.equal(await call('DELETE', '/users/u-43', tenant, { 'x-request-id': 'req-delete' }), 403);

    const collected = await collectFrom(kafka, from, (c) => c.length >= 2, { filter: (c) => c.message.key?.toString() === tenant });
    const events = await Promise.all(collected.map((c) => codec.decode(c.message.value, c.topic)));
    const byAction = new Map<string, AuditEvent>(events.map((e) => [e.action, e]));
    const grant = byAction.get('user.role.updated');
    const denied = byAction.get('user.deleted');
    assert.ok(grant && denied, `expected both events, got ${events.map((e) => e.action).join(', ')}`);

    for (const event of [grant, denied]) {
      assert.equal(event.tenantId, tenant);
      assert.deepEqual(event.actor, { id: 'u-6006b946', name: 'Ada Lovelace', type: 'USER', roles: ['administrator'] });
      // The peer (127.0.0.1) is a trusted proxy, so the right-most address it forwarded is the client.
      assert.deepEqual(event.client, { ip: '18.171.51.239', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/143.0.0.0' });
      assert.equal(event.service.name, 'audited-int-spec');
    }
    assert.equal(grant.outcome, 'SUCCESS');
    assert.deepEqual(grant.http, { method: 'POST', url: '/users/u-42/roles', operation: null, statusCode: 201 });
    assert.equal(grant.correlationId, 'corr-grant');
    assert.deepEqual(grant.targets, [{ type: 'user', id: 'u-42', name: null }]);

    assert.equal(denied.outcome, 'FAILURE');
    assert.deepEqual(denied.http, { method: 'DELETE', url: '/users/u-43', operation: null, statusCode: 403 });
    assert.equal(denied.correlationId, 'req-delete');
  });
});
