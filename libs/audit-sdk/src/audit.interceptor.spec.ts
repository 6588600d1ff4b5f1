import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForbiddenException, type CallHandler } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { lastValueFrom, of, throwError } from 'rxjs';
import type { AuditEventInput } from './audit-event.input';
import { AuditInterceptor } from './audit.interceptor';
import type { AuditModuleOptions, AuditRequest } from './audit-module.types';
import type { AuditPublisher } from './audit.publisher';
import { Audited } from './audited.decorator';

class Handlers {
  @Audited('user.updated', { targets: (_req, result) => [{ type: 'user', id: String((result as { id?: string } | undefined)?.id) }] })
  update(): void {}

  @Audited('user.updated', { tenantId: 'tenant-from-route' })
  anonymous(): void {}

  plain(): void {}
}

function setup(publish: (input: AuditEventInput) => Promise<unknown> = () => Promise.resolve()) {
  const published: AuditEventInput[] = [];
  const publisher = {
    publish: (input: AuditEventInput) => {
      published.push(input);
      return publish(input);
    },
  } as unknown as AuditPublisher;
  const options = {
    trustedProxies: ['10.0.0.0/8'],
    principal: (req: AuditRequest) => req.user as ReturnType<NonNullable<AuditModuleOptions['principal']>>,
  } as unknown as AuditModuleOptions;
  return { published, interceptor: new AuditInterceptor(new Reflector(), publisher, options) };
}

function request(overrides: Partial<AuditRequest> = {}): AuditRequest {
  return {
    method: 'PATCH',
    originalUrl: '/users/42?token=secret',
    headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'curl/8', 'x-request-id': 'req-1' },
    socket: { remoteAddress: '::ffff:10.0.0.2' },
    user: { id: 'u-1', name: 'Ada', roles: ['admin'], tenantId: 't-1' },
    ...overrides,
  };
}

/** The handler function itself: Nest reads @Audited's metadata from it and never calls it unbound. */
function handlerOf(name: keyof Handlers): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  return Handlers.prototype[name];
}

function httpContext(handler: keyof Handlers, req: AuditRequest, statusCode = 200): ExecutionContextHost {
  return new ExecutionContextHost([req, { statusCode }], Handlers, handlerOf(handler));
}

const returning = (value: unknown): CallHandler => ({ handle: () => of(value) });
const throwing = (err: Error): CallHandler => ({ handle: () => throwError(() => err) });

describe(AuditInterceptor.name, () => {
  it('publishes the request, caller and outcome of a handler that returned, then returns its result', async () => {
    const { published, interceptor } = setup();
    const result = await lastValueFrom(interceptor.intercept(httpContext('update', request()), returning({ id: '42' })));
    assert.deepEqual(result, { id: '42' });
    assert.equal(published.length, 1);
    const event = published[0];
    assert.equal(event?.action, 'user.updated');
    assert.equal(event?.tenantId, 't-1');
    assert.equal(event?.outcome, 'SUCCESS');
    assert.deepEqual(event?.actor, { id: 'u-1', name: 'Ada', roles: ['admin'], type: 'USER' });
    assert.deepEqual(event?.client, { ip: '198.51.100.23', userAgent: 'curl/8' });
    assert.deepEqual(event?.http, { method: 'PATCH', url: '/users/42', operation: null, statusCode: 200 });
    assert.equal(event?.correlationId, 'req-1');
    assert.deepEqual(event?.targets, [{ type: 'user', id: '42' }]);
  });

  it('publishes FAILURE with the exception status and rethrows the exception', async () => {
    const { published, interceptor } = setup();
    const denied = new ForbiddenException('no');
    await assert.rejects(lastValueFrom(interceptor.intercept(httpContext('update', request()), throwing(denied))), denied);
    assert.equal(published[0]?.outcome, 'FAILURE');
    assert.equal(published[0]?.http?.statusCode, 403);
  });

  it('does not fail the request when publishing fails', async () => {
    const { interceptor } = setup(() => Promise.reject(new Error('Kafka down')));
    const result = await lastValueFrom(interceptor.intercept(httpContext('update', request()), returning('ok')));
    assert.equal(result, 'ok');
  });

  it('audits an unauthenticated caller as anonymous when @Audited names the tenant, and skips it otherwise', async () => {
    const { published, interceptor } = setup();
    await lastValueFrom(interceptor.intercept(httpContext('anonymous', request({ user: undefined })), returning(null)));
    await lastValueFrom(interceptor.intercept(httpContext('update', request({ user: undefined })), returning(null)));
    assert.equal(published.length, 1);
    assert.equal(published[0]?.tenantId, 'tenant-from-route');
    assert.deepEqual(published[0]?.actor, { id: 'anonymous', type: 'USER' });
  });

  it('leaves handlers without @Audited alone', async () => {
    const { published, interceptor } = setup();
    await lastValueFrom(interceptor.intercept(httpContext('plain', request()), returning(null)));
    assert.equal(published.length, 0);
  });

  it('reads a GraphQL resolver call from the GraphQL context and resolve info', async () => {
    const { published, interceptor } = setup();
    const info = { fieldName: 'createPosition', operation: { operation: 'mutation', name: { value: 'CreatePosition' } } };
    const context = new ExecutionContextHost(
      [{}, {}, { req: request({ method: 'POST', originalUrl: '/graphql' }) }, info],
      Handlers,
      handlerOf('update'),
    );
    context.setType('graphql');
    await lastValueFrom(interceptor.intercept(context, returning({ id: 'p-1' })));
    assert.deepEqual(published[0]?.http, { method: 'POST', url: '/graphql', operation: 'mutation CreatePosition', statusCode: null });
  });
});
