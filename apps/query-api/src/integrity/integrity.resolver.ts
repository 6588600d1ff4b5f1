import { Inject } from '@nestjs/common';
import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import type { KeyObject } from 'node:crypto';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { CATEGORIES } from '@vigil/events';
import { parseSigningKeys } from '@vigil/integrity';
import { OperationsErrorCode, OperationsException, VerifyUseCase, type ChainReport, type VerifyReport } from '@vigil/operations';
import { AuditEventQueryRepository } from '@vigil/store';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { PLATFORM_ADMIN_ROLE, type Principal, type Role } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import { ChainCheckpointModel } from '../events/event.model';
import { parseInstant } from '../events/event-filter.validator';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import type { QueryApiConfig } from '../query-api.config';
import { QueryErrorCode, QueryException } from '../query.exception';
import { IntegrityReportModel, type IntegrityChainModel } from './integrity-report.model';

const VERIFY_PAGE_BYTES = 32 * 1024 * 1024;

/** Who may run a verification: whoever reads a whole tenant's events (not ops, not producers). */
const VERIFY_ROLES: readonly Role[] = ['analyst', 'admin', PLATFORM_ADMIN_ROLE];

function timeArg(name: string, value: string | null | undefined): Date | undefined {
  if (value == null) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw QueryException.badInput(name, 'must be an ISO-8601 time');
  return time;
}

/**
 * The caller's tenant's chain checkpoints (docs/integrity.md): what `vigil verify --checkpoints` checks an export with;
 * and verifyIntegrity, `vigil verify --tenant <caller's tenant> --from --to` run by the API, bounded.
 */
@Resolver(() => ChainCheckpointModel)
export class IntegrityResolver {
  private readonly publicKeys: ReadonlyMap<string, KeyObject> | undefined;

  constructor(
    private readonly repository: AuditEventQueryRepository,
    private readonly limits: QueryWorkLimiter,
    private readonly verifier: VerifyUseCase,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
  ) {
    const keys = parseSigningKeys(config.VIGIL_CHAIN_SIGNING_KEYS ?? '');
    this.publicKeys = keys.length === 0 ? undefined : new Map(keys.map((k) => [k.id, k.publicKey]));
  }

  @Query(() => [ChainCheckpointModel], {
    description: 'The caller’s tenant’s hash-chain checkpoints, by category and place; at most `first` (default and cap 10,000)',
  })
  async checkpoints(
    @CurrentPrincipal() principal: Principal,
    @Args('category', { type: () => String, nullable: true }) category: string | null,
    @Args('from', { type: () => String, nullable: true, description: 'Taken at or after, ISO-8601' }) from: string | null,
    @Args('to', { type: () => String, nullable: true, description: 'Taken before, ISO-8601' }) to: string | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<ChainCheckpointModel[]> {
    if (first != null && (first < 1 || first > 10_000)) throw QueryException.badInput('first', 'must be between 1 and 10000');
    const filter = { category: category ?? undefined, from: timeArg('from', from), to: timeArg('to', to), limit: first ?? 10_000 };
    return this.limits.run(principal, () => this.repository.checkpoints(scopeFor(principal, false), filter));
  }

  @Query(() => IntegrityReportModel, {
    description:
      'Recomputes the caller’s tenant’s hash chains for the events in [from, to) (as `vigil verify --tenant --from --to`) and reports the first break of each; the range may span at most QUERY_API_MAX_SPAN_DAYS, and the walk stops after QUERY_API_VERIFY_MAX_EVENTS events with a partial report',
  })
  async verifyIntegrity(
    @CurrentPrincipal() principal: Principal,
    @Args('from', { description: 'Events at or after, ISO-8601' }) from: string,
    @Args('to', { description: 'Events before, ISO-8601' }) to: string,
    @Args('categories', { type: () => [String], nullable: true, description: 'Only these categories’ chains (default: all)' })
    categoriesArg: string[] | null | undefined,
  ): Promise<IntegrityReportModel> {
    const categories = categoriesArg ?? null; // left out arrives as undefined
    if (!VERIFY_ROLES.includes(principal.role))
      throw new QueryException(
        QueryErrorCode.FORBIDDEN,
        `the ${principal.role} role cannot verify the chains; ${VERIFY_ROLES.join(', ')} can`,
      );
    const fromMicros = parseInstant(from, 'from');
    const toMicros = parseInstant(to, 'to');
    if (toMicros <= fromMicros) throw QueryException.badInput('to', 'must be after from');
    const maxDays = this.config.QUERY_API_MAX_SPAN_DAYS;
    if (toMicros - fromMicros > maxDays * 86_400e6) throw QueryException.badInput('to', `the time range may span at most ${maxDays} days`);
    if (categories !== null) {
      if (categories.length === 0 || categories.length > CATEGORIES.length)
        throw QueryException.badInput('categories', `give 1 to ${CATEGORIES.length} categories, or leave it out for all`);
      for (const category of categories)
        if (!(CATEGORIES as readonly string[]).includes(category))
          throw QueryException.badInput('categories', `unknown category "${category.slice(0, 60)}"; one of ${CATEGORIES.join(', ')}`);
    }
    // Only ever the caller's own tenant: the scope is the one place a tenant is chosen for a request.
    const tenantId = scopeFor(principal, false).tenantId;
    if (tenantId === null) throw new QueryException(QueryErrorCode.FORBIDDEN, 'a verification is of one tenant');
    const range = { from: new Date(Math.floor(fromMicros / 1000)), to: new Date(Math.ceil(toMicros / 1000)) };
    const maxEvents = this.config.QUERY_API_VERIFY_MAX_EVENTS;
    // A verification reads a whole range through a pool of its own (the use case's): it takes an export's slot, so at
    // most QUERY_API_MAX_EXPORTS of them (and exports) run on an instance, one per key, and their connections are bounded.
    const release = await this.limits.exportSlot(principal);
    try {
      const started = this.clock.now().getTime();
      const timeoutMs = this.config.QUERY_API_EXPORT_TIMEOUT_MS;
      const report = await this.verifier
        .execute(
          {
            tenantId,
            ...(categories !== null && { categories }),
            ...range,
            maxEvents,
            // Pages of at most 32 MiB of events' text: large events never fill the process every tenant shares.
            maxPageBytes: VERIFY_PAGE_BYTES,
            ...(this.publicKeys && { publicKeys: this.publicKeys }),
          },
          {},
          AbortSignal.timeout(timeoutMs),
        )
        .catch((err: unknown) => {
          if (err instanceof OperationsException && err.code === OperationsErrorCode.INTERRUPTED)
            throw new QueryException(
              QueryErrorCode.TIMEOUT,
              `the verification took longer than ${Math.round(timeoutMs / 1000)} s (QUERY_API_EXPORT_TIMEOUT_MS); narrow the range or use \`vigil verify\``,
            );
          throw err;
        });
      return toModel(report, {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        categories,
        signaturesChecked: this.publicKeys !== undefined,
        durationMs: this.clock.now().getTime() - started,
        maxEvents,
      });
    } finally {
      release();
    }
  }
}

function toModel(
  report: VerifyReport,
  context: { from: string; to: string; categories: string[] | null; signaturesChecked: boolean; durationMs: number; maxEvents: number },
): IntegrityReportModel {
  const { maxEvents, ...rest } = context;
  const stopped = report.stoppedAfter;
  return {
    ...rest,
    tenantId: report.tenantId,
    ok: report.ok,
    complete: stopped === undefined,
    partial:
      stopped === undefined
        ? null
        : `partial: stopped after ${stopped.events} events (the bound is ${maxEvents}); use \`vigil verify\` for the whole range`,
    checked: report.checked,
    chains: report.chains.map(chainOf),
    skippedCategories: stopped?.skipped ?? [],
    unchainedCount: report.unchained.count,
    unchainedIds: report.unchained.ids,
  };
}

function chainOf(chain: ChainReport): IntegrityChainModel {
  return {
    category: chain.category,
    ok: chain.ok,
    checked: chain.checked,
    firstSeq: chain.first,
    lastSeq: chain.last,
    anchorKind: chain.anchor.kind,
    anchorSeq: chain.anchor.seq,
    checkpoints: chain.checkpoints,
    stopped: chain.stopped === true,
    finding:
      chain.finding === undefined
        ? null
        : { kind: chain.finding.kind, seq: chain.finding.seq, eventId: chain.finding.id ?? null, detail: chain.finding.detail },
  };
}
