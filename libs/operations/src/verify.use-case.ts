import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import { GENESIS, verifyChain, type ChainEntry, type ChainFinding, type ChainPoint } from '@vigil/integrity';
import { ChainRowRepository, storePoolConfig, type ChainRow } from '@vigil/store';
import { throwIfAborted } from './interruption.util';
import { OPERATIONS_OPTIONS, type OperationObserver, type OperationsOptions } from './operations.types';

export interface VerifyRequest {
  tenantId: string;
  /** Only these categories (default: every category the tenant has a chain of). */
  categories?: readonly string[];
  /** Only the events whose time is in [from, to). */
  from?: Date;
  to?: Date;
}

/** One chain's result. `anchor` says where the walk started and why there. */
export interface ChainReport {
  category: string;
  ok: boolean;
  checked: number;
  /** Sequence numbers walked (first..last). */
  first: number;
  last: number;
  anchor: { seq: number; kind: 'genesis' | 'stored-link' };
  head: ChainPoint;
  finding?: { kind: ChainFinding | 'unchained'; seq: number; id: string | undefined; detail: string };
}

export interface VerifyReport {
  tenantId: string;
  ok: boolean;
  checked: number;
  chains: ChainReport[];
  /** Rows of the tenant that hold no place in any chain although stored after it started: added behind Vigil's back. */
  unchained: { count: number; ids: string[] };
}

const PAGE = 5_000;

/**
 * `vigil verify --tenant`: recomputes each of the tenant's chains (one per category) from the store and reports the
 * first altered, inserted, deleted, reordered or cut-off event with its sequence number and id (docs/integrity.md).
 * A whole chain is walked from the genesis link to its head; a time range from the stored link just before it. When
 * the oldest events are gone (dropped with their day's partition), the walk starts at the oldest stored event's link.
 */
@Injectable()
export class VerifyUseCase {
  private readonly rows = new ChainRowRepository();

  constructor(@Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions) {}

  async execute(request: VerifyRequest, observer: OperationObserver, signal: AbortSignal): Promise<VerifyReport> {
    const pool = new pg.Pool(storePoolConfig(this.options.databaseUrl, undefined, 2));
    try {
      const heads = (await this.rows.heads(pool, request.tenantId)).filter(
        (h) => request.categories === undefined || request.categories.includes(h.category),
      );
      const chains: ChainReport[] = [];
      for (const head of heads) {
        const report = await this.verifyOne(pool, request, head, observer, signal);
        if (report !== undefined) chains.push(report);
      }
      const start = await this.rows.chainStart(pool, request.tenantId);
      const since = start === undefined ? undefined : new Date(Math.max(start.getTime(), request.from?.getTime() ?? 0));
      const unchained = since === undefined ? { count: 0, ids: [] } : await this.rows.unchained(pool, request.tenantId, since);
      const checked = chains.reduce((n, c) => n + c.checked, 0);
      return { tenantId: request.tenantId, ok: chains.every((c) => c.ok) && unchained.count === 0, checked, chains, unchained };
    } finally {
      await pool.end();
    }
  }

  private async verifyOne(
    pool: pg.Pool,
    request: VerifyRequest,
    head: { category: string; seq: number; hash: string },
    observer: OperationObserver,
    signal: AbortSignal,
  ): Promise<ChainReport | undefined> {
    const { tenantId } = request;
    const { category } = head;
    const ranged = request.from !== undefined || request.to !== undefined;
    const range = await this.rows.seqRange(pool, tenantId, category, { from: request.from, to: request.to });
    if (range === undefined) {
      // Nothing stored in range. Without a range, a head with no stored event means every event is gone.
      if (ranged) return undefined;
      return {
        category,
        ok: false,
        checked: 0,
        first: 1,
        last: head.seq,
        anchor: { seq: 0, kind: 'genesis' },
        head,
        finding: { kind: 'deleted', seq: 1, id: undefined, detail: `the head is at ${head.seq} but no event of the chain is stored` },
      };
    }
    // The whole chain starts at the genesis link, unless its first events are no longer stored (retention).
    const firstSeq = ranged ? range.first : 1;
    const anchorSeq = firstSeq - 1;
    let anchor: ChainPoint = { seq: 0, hash: GENESIS.toString('hex') };
    let anchorKind: 'genesis' | 'stored-link' = 'genesis';
    if (anchorSeq > 0) {
      const link = await this.rows.linkAt(pool, tenantId, category, anchorSeq);
      anchorKind = 'stored-link';
      anchor = { seq: anchorSeq, hash: link ?? '' };
      if (link === undefined) anchor = { seq: anchorSeq, hash: GENESIS.toString('hex') };
    }
    let fromSeq = firstSeq;
    if (!ranged && range.first > 1) {
      // The oldest events were dropped with their partitions: anchor on the oldest stored event's link.
      const link = (await this.rows.linkAt(pool, tenantId, category, range.first)) ?? GENESIS.toString('hex');
      anchor = { seq: range.first, hash: link };
      anchorKind = 'stored-link';
      fromSeq = range.first + 1;
    }
    const toSeq = ranged && request.to !== undefined ? range.last : Number.MAX_SAFE_INTEGER;
    const to = ranged && request.to !== undefined ? undefined : { seq: head.seq, hash: head.hash };
    observer.begin?.(`${tenantId}/${category}`, Math.max(0, (ranged ? range.last : head.seq) - fromSeq + 1));
    const report = (verdict: ReturnType<typeof verifyChain>, checked: number): ChainReport => ({
      category,
      ok: verdict.ok,
      checked,
      first: fromSeq,
      last: verdict.ok ? verdict.head.seq : Math.max(fromSeq, verdict.seq),
      anchor: { seq: anchor.seq, kind: anchorKind },
      head: to ?? (verdict.ok ? verdict.head : anchor),
      ...(!verdict.ok && { finding: { kind: verdict.finding, seq: verdict.seq, id: verdict.id, detail: verdict.detail } }),
    });
    try {
      let from = anchor;
      let checked = 0;
      let after: ChainRow | undefined;
      let lookahead: ChainRow[] = [];
      for (;;) {
        throwIfAborted(signal, 'interrupted');
        const page = await this.rows.page(pool, { tenantId, category, fromSeq, toSeq }, after, PAGE);
        after = page.at(-1) ?? after;
        const entries = [...lookahead, ...page];
        const last = page.length < PAGE;
        // The last entry is verified again with the next page, where the entry after it is known (a swap or an
        // alteration is told apart by its neighbour).
        const walk = last ? entries : entries.slice(0, -1);
        const verdict = verifyChain(walk.map(toEntry), from, last ? to : undefined);
        if (!verdict.ok) return report(verdict, checked + verdict.checked);
        checked += walk.length;
        observer.advance?.(walk.length);
        if (last) return report(verdict, checked);
        from = verdict.head;
        lookahead = entries.slice(-1);
      }
    } finally {
      observer.end?.();
    }
  }
}

function toEntry(row: ChainRow): ChainEntry {
  return { seq: row.seq, hash: row.hash, event: row.event };
}
