import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import type { StoredAuditEvent } from '@vigil/store';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import { ViewerAllowed } from '../auth/viewer-allowed.decorator';
import type { EventFilterFields } from '../events/event-filter.validator';
import { EventQueryService } from '../events/event-query.service';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import type { QueryApiConfig } from '../query-api.config';
import { QueryException } from '../query.exception';
import { CSV_HEADER, csvLine, ndjsonLine } from './event-csv.mapper';
import { ExportWatchdog, type ExportEnd } from './export-watchdog.util';

type QueryValue = string | string[] | undefined;

/** Rows an export writes before it lets other requests run (see `send`). */
const YIELD_EVERY_ROWS = 20;

function single(query: Record<string, QueryValue>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw QueryException.badInput(name, 'may be given once');
  return value === '' ? undefined : value;
}

/** A list parameter: repeated (`actions=a&actions=b`) or comma-separated (`actions=a,b`). */
function many(query: Record<string, QueryValue>, name: string): string[] | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

const FILTER_NAMES = [
  'from',
  'to',
  'outcome',
  'actorId',
  'actorName',
  'targetType',
  'targetId',
  'clientIp',
  'service',
  'correlationId',
  'traceId',
  'text',
] as const;
const LIST_NAMES = ['categories', 'actions'] as const;
/** Every parameter the export reads; anything else is refused, so a typo (`actor=`) cannot widen a compliance export. */
export const EXPORT_PARAMETERS: readonly string[] = ['format', 'order', 'allTenants', ...FILTER_NAMES, ...LIST_NAMES];

/** Refuses a query string holding any parameter outside `known`, naming the unknown ones and listing the known. */
export function refuseUnknownParameters(query: Record<string, QueryValue>, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  throw QueryException.badInput(
    unknown.join(','),
    `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${known.join(', ')}`,
  );
}

function filterFields(query: Record<string, QueryValue>): EventFilterFields {
  const fields: EventFilterFields = Object.fromEntries(FILTER_NAMES.map((name) => [name, single(query, name)]));
  return { ...fields, categories: many(query, 'categories') ?? null, actions: many(query, 'actions') ?? null };
}

/**
 * `GET /v1/events/export?format=ndjson|csv&from=...`: every matching event for compliance pulls, with the
 * GraphQL filters and auth. Rows stream from a server-side cursor into the response, pulled only as
 * fast as the client reads (pipeline), so a month of events needs no more memory than a batch.
 */
@Controller('v1/events')
export class EventsExportController {
  constructor(
    private readonly events: EventQueryService,
    private readonly limits: QueryWorkLimiter,
    private readonly logger: PinoLogger,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
  ) {
    this.logger.setContext(EventsExportController.name);
  }

  @ViewerAllowed()
  @Get('export')
  async export(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, QueryValue>, @Res() res: Response): Promise<void> {
    refuseUnknownParameters(query, EXPORT_PARAMETERS);
    const format = single(query, 'format') ?? 'ndjson';
    if (format !== 'ndjson' && format !== 'csv') throw QueryException.badInput('format', 'must be ndjson or csv');
    const order = single(query, 'order') ?? 'OLDEST_FIRST';
    if (order !== 'NEWEST_FIRST' && order !== 'OLDEST_FIRST')
      throw QueryException.badInput('order', 'must be NEWEST_FIRST or OLDEST_FIRST');
    const allTenants = single(query, 'allTenants');
    if (allTenants !== undefined && allTenants !== 'true' && allTenants !== 'false')
      throw QueryException.badInput('allTenants', 'must be true or false');
    const scope = scopeFor(principal, allTenants === 'true');
    const filter = this.events.filter(filterFields(query));
    // One of the instance's export slots and one of the key's database slots, held until the stream ended.
    const release = await this.limits.exportSlot(principal);
    const rows = this.events.stream(scope, filter, order);
    try {
      await this.send(rows, format, res, principal, scope.isRestricted);
    } finally {
      // Ends the cursor's transaction and releases its connection whatever happened: the client left before the
      // first row (the body never started, so its own iteration never closes `rows`), a write failed, a read timed out.
      await rows.return(undefined).finally(release);
    }
  }

  private async send(
    rows: AsyncGenerator<StoredAuditEvent>,
    format: 'csv' | 'ndjson',
    res: Response,
    principal: Principal,
    hideChain = false,
  ): Promise<void> {
    // The first batch is read before the headers go out, so a refused or timed-out query still gets its status.
    const first = await rows.next();
    if (res.destroyed) return; // the client left while the first batch was read
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="vigil-events.${format === 'csv' ? 'csv' : 'ndjson'}"`);
    res.setHeader('Cache-Control', 'no-store');
    const write = format === 'csv' ? csvLine : ndjsonLine;
    // No chain places for a restricted viewer (chainFor in the events resolver says why).
    const line = hideChain ? (stored: StoredAuditEvent) => write({ ...stored, chain: null }) : write;
    const stallMs = this.config.QUERY_API_EXPORT_STALL_MS;
    const maxMs = this.config.QUERY_API_EXPORT_MAX_DURATION_MS;
    // A client that stops reading, or reads a trickle, would hold the export's slots for as long as it keeps the
    // connection open: ended past either bound, the response is destroyed, which closes the cursor (below).
    const watchdog = new ExportWatchdog({
      stallMs,
      maxMs,
      onExpire: (reason: ExportEnd) => {
        this.logger.warn(
          { tenantId: principal.tenantId, reason, stallMs, maxMs },
          reason === 'stalled'
            ? 'export ended: its client read nothing for QUERY_API_EXPORT_STALL_MS'
            : 'export ended: it ran longer than QUERY_API_EXPORT_MAX_DURATION_MS',
        );
        res.destroy();
      },
    });
    // Readable.from pulls the next piece when the response has room for it: time suspended at a yield is time the
    // export waits for its client.
    async function* body(): AsyncGenerator<string> {
      watchdog.waiting();
      if (format === 'csv') yield CSV_HEADER;
      if (first.done) return waitForTheRest();
      yield line(first.value);
      watchdog.taken();
      let sinceYield = 0;
      for await (const row of rows) {
        watchdog.waiting();
        yield line(row);
        watchdog.taken();
        // A fast client would otherwise keep this loop on the event loop for a whole cursor batch at a time:
        // every few hundred rows other requests (another tenant's page query) get their turn.
        if (++sinceYield >= YIELD_EVERY_ROWS) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      waitForTheRest();
    }
    // Once the rows are all read, what is left is the client taking the last of them from the buffers: all of it is
    // waiting for the client, and a client that stops then is ended like any other.
    function waitForTheRest(): void {
      watchdog.waiting();
    }
    try {
      await pipeline(Readable.from(body()), res);
    } catch (err) {
      // Headers are gone: a failure now can only cut the response short, which the client sees as an incomplete body.
      if (!watchdog.expired) this.logger.warn({ tenantId: principal.tenantId, reason: (err as Error).message }, 'export ended early');
      res.destroy();
    } finally {
      watchdog.stop();
    }
  }
}
