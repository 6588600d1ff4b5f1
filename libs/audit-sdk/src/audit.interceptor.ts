import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { clipUtf8, EVENT_LIMITS } from '@vigil/events';
import type { AuditEventInput } from './audit-event.input';
import type { AuditModuleOptions, AuditRequest } from './audit-module.types';
import { AuditOutcomeMapper, type AuditOutcome } from './audit-outcome.mapper';
import { AuditPublisher } from './audit.publisher';
import { AUDIT_MODULE_OPTIONS, AUDITED_METADATA } from './audit.tokens';
import type { AuditedMetadata } from './audited.decorator';
import { ClientAddressMapper } from './client-address.mapper';

/** One intercepted call: the request, the response when there is one, and the GraphQL operation. */
interface AuditedCall {
  request: AuditRequest;
  response: { statusCode?: number } | undefined;
  operation: string | null;
  traceId: string | null;
  spanId: string | null;
}

/** The parts of GraphQL's resolve info @Audited reads (the SDK does not depend on @nestjs/graphql). */
interface GraphQLInfoLike {
  fieldName?: string;
  operation?: { operation?: string; name?: { value?: string } | null };
}

function firstHeader(request: AuditRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function clip(value: string | undefined): string | null {
  return value === undefined ? null : clipUtf8(value, EVENT_LIMITS.string);
}

/**
 * Publishes the event of every @Audited handler once it settled. The publish is awaited, so the event
 * is on Kafka before the response leaves; a failed publish is logged and never fails the request
 * (audits that must not be lost go through the transactional outbox instead).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);
  private readonly addresses: ClientAddressMapper;
  private readonly correlationHeaders: string[];

  constructor(
    private readonly reflector: Reflector,
    private readonly publisher: AuditPublisher,
    @Inject(AUDIT_MODULE_OPTIONS) private readonly options: AuditModuleOptions,
  ) {
    this.addresses = new ClientAddressMapper(options.trustedProxies);
    this.correlationHeaders = [(options.correlationHeader ?? 'x-correlation-id').toLowerCase(), 'x-request-id'];
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const audited = this.reflector.get<AuditedMetadata | undefined>(AUDITED_METADATA, context.getHandler());
    if (audited === undefined) return next.handle();
    const call = this.describeCall(context);
    if (call === undefined) {
      this.logger.warn(
        `@Audited('${audited.action}') on a ${context.getType()} handler is not supported; only HTTP and GraphQL are audited`,
      );
      return next.handle();
    }
    return from(this.run(next, audited, call));
  }

  private async run(next: CallHandler, audited: AuditedMetadata, call: AuditedCall): Promise<unknown> {
    let result: unknown;
    try {
      // Nest itself takes the last value of an HTTP or GraphQL handler's observable.
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      await this.record(audited, call, AuditOutcomeMapper.fromError(err), undefined);
      throw err;
    }
    await this.record(audited, call, AuditOutcomeMapper.fromResult(call.response?.statusCode), result);
    return result;
  }

  private describeCall(context: ExecutionContext): AuditedCall | undefined {
    const span = trace.getActiveSpan()?.spanContext();
    const ids =
      span !== undefined && trace.isSpanContextValid(span)
        ? { traceId: span.traceId, spanId: span.spanId }
        : { traceId: null, spanId: null };
    const type = context.getType<string>();
    if (type === 'http') {
      const http = context.switchToHttp();
      return { request: http.getRequest<AuditRequest>(), response: http.getResponse<{ statusCode?: number }>(), operation: null, ...ids };
    }
    if (type === 'graphql') {
      // Resolver arguments are (root, args, context, info); Nest's GraphQL context carries req and res.
      const graphqlContext = context.getArgByIndex<{ req?: AuditRequest; res?: { statusCode?: number } } | undefined>(2);
      const info = context.getArgByIndex<GraphQLInfoLike | undefined>(3);
      if (graphqlContext?.req === undefined) return undefined;
      const name = info?.operation?.name?.value ?? info?.fieldName;
      const operation = [info?.operation?.operation, name].filter((part) => part !== undefined).join(' ');
      return { request: graphqlContext.req, response: graphqlContext.res, operation: operation === '' ? null : operation, ...ids };
    }
    return undefined;
  }

  private async record(audited: AuditedMetadata, call: AuditedCall, outcome: AuditOutcome, result: unknown): Promise<void> {
    try {
      const input = this.toInput(audited, call, outcome, result);
      if (input !== undefined) await this.publisher.publish(input);
    } catch (err) {
      this.logger.error(`audit event ${audited.action} was not published: ${(err as Error).message}`);
    }
  }

  private toInput(audited: AuditedMetadata, call: AuditedCall, outcome: AuditOutcome, result: unknown): AuditEventInput | undefined {
    const { request } = call;
    const { options } = audited;
    const principal = this.options.principal?.(request);
    const tenantId = (typeof options.tenantId === 'function' ? options.tenantId(request) : options.tenantId) ?? principal?.tenantId;
    // Query strings carry tokens (reset links, signed URLs): only the path is recorded.
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
    if (tenantId === undefined || tenantId === '') {
      this.logger.warn(
        `audit event ${audited.action} for ${request.method ?? '?'} ${path} skipped: no principal tenant and no @Audited tenantId`,
      );
      return undefined;
    }
    const header = (name: string): string | undefined => firstHeader(request, name);
    return {
      action: audited.action,
      tenantId,
      outcome: outcome.outcome,
      // Without a principal the caller is unauthenticated (a failed login, a rejected request): still worth an audit.
      actor:
        principal === undefined
          ? { id: 'anonymous', type: 'USER' }
          : { id: principal.id, name: principal.name ?? null, roles: principal.roles ?? [], type: principal.type ?? 'USER' },
      client: {
        ip: this.addresses.clientAddress(request.socket?.remoteAddress, request.headers['x-forwarded-for']),
        userAgent: clip(header('user-agent')),
      },
      http: { method: request.method ?? null, url: clip(path), operation: call.operation, statusCode: outcome.statusCode },
      correlationId: clip(this.correlationHeaders.map(header).find((value) => value !== undefined)),
      traceId: call.traceId,
      spanId: call.spanId,
      ...(options.targets !== undefined ? { targets: options.targets(request, result) } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
    };
  }
}
