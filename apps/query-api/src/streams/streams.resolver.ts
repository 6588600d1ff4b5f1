import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import {
  StreamAdminService,
  StreamErrorCode,
  StreamException,
  type StreamActor,
  type StreamHealth,
  type StreamState,
  type StreamView,
} from '@vigil/streams';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { PLATFORM_ADMIN_ROLE, type Principal } from '../auth/principal.types';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import { QueryErrorCode, QueryException } from '../query.exception';
import {
  CreateStreamInput,
  StreamModel,
  StreamTestResultModel,
  UpdateStreamInput,
  type StreamFiltersInput,
  type StreamHealthModel,
} from './stream.model';

/** Roles that manage streams: a tenant's admins (their own tenant) and platform admins (any tenant). */
const STREAM_ROLES = ['admin', PLATFORM_ADMIN_ROLE];

const RECOVERY: Record<StreamState, string | null> = {
  active: null,
  catching_up: null,
  failing:
    'Vigil probes the SIEM with backoff and catches up on its own once it answers; fix the SIEM or the stream settings (testStream shows its answer).',
  paused: 'enableStream resumes it from where it stopped.',
  suspended:
    'Set new secrets with updateStream (or call enableStream once the SIEM accepts the credentials): it then catches up from where it stopped.',
};

/**
 * Per-tenant SIEM streams. Every call is scoped: a tenant admin sees and changes only their tenant's streams (another
 * tenant's stream answers NOT_FOUND, as a missing one does); only platform admins name a tenant or replay.
 */
@Resolver(() => StreamModel)
export class StreamsResolver {
  constructor(
    private readonly streams: StreamAdminService,
    private readonly limits: QueryWorkLimiter,
  ) {}

  @Query(() => [StreamModel], {
    name: 'streams',
    description: 'The caller’s tenant’s streams with their health; platform admins may name a tenant or omit it for all',
  })
  async streamList(
    @CurrentPrincipal() principal: Principal,
    @Args('tenantId', { type: () => String, nullable: true }) tenantId: string | null,
  ): Promise<StreamModel[]> {
    const actor = actorOf(principal);
    const views = await this.run(principal, () => this.streams.list(actor, tenantId ?? (actor.platform ? undefined : actor.tenantId)));
    return views.map(toModel);
  }

  @Query(() => StreamModel, { nullable: true, description: 'One stream; null when absent or another tenant’s' })
  async stream(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<StreamModel | null> {
    try {
      return toModel(await this.run(principal, () => this.streams.get(actorOf(principal), id)));
    } catch (err) {
      if (err instanceof QueryException && err.code === QueryErrorCode.NOT_FOUND) return null;
      throw err;
    }
  }

  @Mutation(() => StreamModel, {
    description: 'Creates a stream; it receives the tenant’s events from now on (replay covers earlier ones)',
  })
  async createStream(@CurrentPrincipal() principal: Principal, @Args('input') input: CreateStreamInput): Promise<StreamModel> {
    const actor = actorOf(principal);
    const view = await this.run(principal, () =>
      this.streams.create(actor, {
        tenantId: input.tenantId ?? undefined,
        name: input.name,
        type: input.type,
        enabled: input.enabled ?? true,
        config: configOf(input, { settings: {} }),
        secrets: input.secrets ?? {},
      }),
    );
    return toModel(view);
  }

  @Mutation(() => StreamModel, { description: 'Changes a stream; fields left out keep their value. Lifts a suspension.' })
  async updateStream(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateStreamInput,
  ): Promise<StreamModel> {
    const secrets = input.secrets ?? undefined;
    if (secrets !== undefined && (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)))
      throw QueryException.badInput('input.secrets', 'must be an object of secret names to values (or null to remove one)');
    const config = configOf(input, {});
    return toModel(
      await this.run(principal, () =>
        this.streams.update(actorOf(principal), id, {
          name: input.name ?? undefined,
          config: Object.keys(config).length === 0 ? undefined : config,
          secrets: secrets as Record<string, string | null> | undefined,
        }),
      ),
    );
  }

  @Mutation(() => StreamModel, { description: 'Enables a stream: it catches up from where it was disabled' })
  async enableStream(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<StreamModel> {
    return toModel(await this.run(principal, () => this.streams.setEnabled(actorOf(principal), id, true)));
  }

  @Mutation(() => StreamModel, { description: 'Disables (pauses) a stream; its position is kept' })
  async disableStream(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<StreamModel> {
    return toModel(await this.run(principal, () => this.streams.setEnabled(actorOf(principal), id, false)));
  }

  @Mutation(() => StreamModel, { description: 'Deletes a stream and its secrets' })
  async deleteStream(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<StreamModel> {
    return toModel(await this.run(principal, () => this.streams.delete(actorOf(principal), id)));
  }

  @Mutation(() => StreamTestResultModel, { description: 'Sends one stream.tested event straight to the SIEM and reports its exact answer' })
  async testStream(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<StreamTestResultModel> {
    return this.run(principal, () => this.streams.test(actorOf(principal), id));
  }

  @Mutation(() => StreamModel, { description: 'Platform admins: re-deliver the stream’s retained events from a time (ISO-8601)' })
  async replayStream(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('from') from: string,
  ): Promise<StreamModel> {
    if (principal.role !== PLATFORM_ADMIN_ROLE)
      throw new QueryException(QueryErrorCode.FORBIDDEN, `only the ${PLATFORM_ADMIN_ROLE} role may replay into a stream`);
    const at = new Date(from);
    if (Number.isNaN(at.getTime())) throw QueryException.badInput('from', 'must be an ISO-8601 time');
    return toModel(await this.run(principal, () => this.streams.requestReplay(actorOf(principal), id, at)));
  }

  /** Holds one of the key's slots (fair sharing) and turns stream refusals into the API's codes. */
  private async run<T>(principal: Principal, work: () => Promise<T>): Promise<T> {
    if (!STREAM_ROLES.includes(principal.role))
      throw new QueryException(
        QueryErrorCode.FORBIDDEN,
        `the ${principal.role} role cannot manage streams; ${STREAM_ROLES.join(', ')} can`,
      );
    try {
      return await this.limits.run(principal, work);
    } catch (err) {
      throw err instanceof StreamException ? toQueryException(err) : err;
    }
  }
}

function actorOf(principal: Principal): StreamActor {
  return { tenantId: principal.tenantId, platform: principal.role === PLATFORM_ADMIN_ROLE, id: principal.subject, role: principal.role };
}

function configOf(input: StreamFiltersInput, base: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = { ...base };
  for (const key of ['categories', 'actions', 'minSeverity', 'format', 'extraFields', 'settings'] as const) {
    const value = input[key];
    if (value !== undefined && value !== null) config[key] = key === 'actions' ? stripNulls(value) : value;
  }
  return config;
}

function stripNulls(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

function toQueryException(err: StreamException): QueryException {
  switch (err.code) {
    case StreamErrorCode.NOT_FOUND:
      return new QueryException(QueryErrorCode.NOT_FOUND, err.message);
    case StreamErrorCode.INVALID:
    case StreamErrorCode.TARGET_REFUSED: {
      const first = err.problems[0] ?? err.message;
      return new QueryException(
        QueryErrorCode.BAD_USER_INPUT,
        err.message,
        first.slice(0, first.indexOf(':') > 0 ? first.indexOf(':') : undefined),
      );
    }
    case StreamErrorCode.NAME_TAKEN:
    case StreamErrorCode.TOO_MANY:
      return new QueryException(QueryErrorCode.CONFLICT, err.message);
    case StreamErrorCode.AUDIT_FAILED:
      return new QueryException(QueryErrorCode.UNAVAILABLE, err.message);
    case StreamErrorCode.SECRET_KEY_MISSING:
    case StreamErrorCode.SECRET_UNREADABLE:
      return new QueryException(QueryErrorCode.UNAVAILABLE, err.message);
  }
}

function toModel(view: StreamView): StreamModel {
  const { config } = view;
  return {
    id: view.id,
    tenantId: view.tenantId,
    name: view.name,
    type: view.type,
    enabled: view.enabled,
    categories: config.categories ?? null,
    actions: { include: config.actions?.include ?? ['*'], exclude: config.actions?.exclude ?? [] },
    minSeverity: config.minSeverity ?? 'INFO',
    format: config.format ?? null,
    extraFields: config.extraFields ?? null,
    settings: config.settings,
    secretNames: view.secretNames,
    version: view.version,
    suspendedAt: view.suspendedAt?.toISOString() ?? null,
    createdAt: view.createdAt.toISOString(),
    createdBy: view.createdBy,
    updatedAt: view.updatedAt.toISOString(),
    updatedBy: view.updatedBy,
    health: view.health === undefined ? (view.enabled ? null : pausedHealth(view)) : toHealth(view, view.health),
  };
}

function toHealth(view: StreamView, h: StreamHealth): StreamHealthModel {
  // A change made after the app last reported shows at once: disabled and suspended come from the stream itself.
  const state: StreamState = !view.enabled ? 'paused' : view.suspendedAt !== undefined ? 'suspended' : h.state;
  const reason = state === h.state ? (h.reason ?? null) : state === 'paused' ? 'disabled by the customer' : (view.suspendedReason ?? null);
  return {
    state,
    reason,
    recovery: RECOVERY[state],
    lagEvents: h.lagEvents,
    lagSeconds: h.lagSeconds,
    delivered24h: h.delivered24h,
    deadLettered: h.deadLetteredTotal,
    lastSuccessAt: h.lastSuccessAt?.toISOString() ?? null,
    lastErrorAt: h.lastErrorAt?.toISOString() ?? null,
    lastError: h.lastError ?? null,
    updatedAt: h.updatedAt.toISOString(),
  };
}

function pausedHealth(view: StreamView): StreamHealthModel {
  return {
    state: 'paused',
    reason: 'disabled by the customer',
    recovery: RECOVERY.paused,
    lagEvents: 0,
    lagSeconds: 0,
    delivered24h: 0,
    deadLettered: 0,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
    updatedAt: view.updatedAt.toISOString(),
  };
}
