import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import type { KeyObject } from 'node:crypto';
import { checkpointRecordVerifies, GENESIS, offCheckpoint, verifyChain, type ChainFinding, type ChainPoint } from '@vigil/integrity';
import {
  createPgPool,
  ChainCheckpointRepository,
  ChainRowRepository,
  storePoolConfig,
  type ChainRow,
  type StoredCheckpoint,
} from '@vigil/store';
import { throwIfAborted } from './interruption.util';
import { OPERATIONS_OPTIONS, type OperationObserver, type OperationsOptions } from './operations.types';

export interface VerifyRequest {
  tenantId: string;
  /** Only these categories (default: every category the tenant has a chain of). */
  categories?: readonly string[];
  /** Only the events whose time is in [from, to). */
  from?: Date;
  to?: Date;
  /** Public keys by id: each signed checkpoint's signature is checked with them (unchecked without). */
  publicKeys?: ReadonlyMap<string, KeyObject>;
  /**
   * Stop after about this many events (whole pages of the walk) and say so in the report (`stoppedAfter`) instead of
   * walking on: the query API's bound. Unbounded by default, as `vigil verify` runs.
   */
  maxEvents?: number;
  /**
   * The query API's other bound: a page of the walk also ends once its events' text reaches this many bytes (one
   * event at least), so events of up to 512 KiB never put gigabytes in the process. Unbounded by default, as `vigil
   * verify` runs: reading is what its walk waits on, and measuring the rows costs PostgreSQL 20–30 % more per page.
   */
  maxPageBytes?: number;
}

/** One chain's result. `anchor` says where the walk started and why there. */
export interface ChainReport {
  category: string;
  ok: boolean;
  checked: number;
  /** Sequence numbers walked (first..last). */
  first: number;
  last: number;
  anchor: { seq: number; kind: 'genesis' | 'stored-link' | 'retention' };
  head: ChainPoint;
  finding?: { kind: ChainFinding | 'checkpoint'; seq: number; id: string | undefined; detail: string };
  /** Signed checkpoints on the walked part whose link the chain was compared with. */
  checkpoints: number;
  /** The walk stopped at `last` because the request's maxEvents were spent: the rest of this chain was not checked. */
  stopped?: true;
}

export interface VerifyReport {
  tenantId: string;
  ok: boolean;
  checked: number;
  chains: ChainReport[];
  /** Rows of the tenant that hold no place in any chain although stored after it started: added behind Vigil's back. */
  unchained: { count: number; ids: string[] };
  /** Set when maxEvents were spent before the end: the events walked, and the categories not walked at all. */
  stoppedAfter?: { events: number; skipped: string[] };
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

  /** Only the database URL is read, so a host without the other operations (the query API) can provide it. */
  constructor(@Inject(OPERATIONS_OPTIONS) private readonly options: Pick<OperationsOptions, 'databaseUrl'>) {}

  async execute(request: VerifyRequest, observer: OperationObserver, signal: AbortSignal): Promise<VerifyReport> {
    const pool = createPgPool(storePoolConfig(this.options.databaseUrl, undefined, 2));
    try {
      const heads = (await this.rows.heads(pool, request.tenantId)).filter(
        (h) => request.categories === undefined || request.categories.includes(h.category),
      );
      const chains: ChainReport[] = [];
      const checkpoints = await new ChainCheckpointRepository().list(pool, request.tenantId);
      const budget = { left: request.maxEvents ?? Number.POSITIVE_INFINITY };
      const skipped: string[] = [];
      for (const head of heads) {
        if (budget.left <= 0) {
          skipped.push(head.category);
          continue;
        }
        const own = checkpoints.filter((c) => c.category === head.category);
        const report = await this.verifyOne(pool, request, head, own, observer, signal, budget);
        if (report !== undefined) chains.push(report);
      }
      const start = await this.rows.chainStart(pool, request.tenantId);
      const since = start === undefined ? undefined : new Date(Math.max(start.getTime(), request.from?.getTime() ?? 0));
      const unchained = since === undefined ? { count: 0, ids: [] } : await this.rows.unchained(pool, request.tenantId, since);
      const checked = chains.reduce((n, c) => n + c.checked, 0);
      const stopped = skipped.length > 0 || chains.some((c) => c.stopped === true);
      return {
        tenantId: request.tenantId,
        ok: chains.every((c) => c.ok) && unchained.count === 0,
        checked,
        chains,
        unchained,
        ...(stopped && { stoppedAfter: { events: checked, skipped } }),
      };
    } finally {
      await pool.end();
    }
  }

  private async verifyOne(
    pool: pg.Pool,
    request: VerifyRequest,
    head: { category: string; seq: number; hash: string },
    checkpoints: readonly StoredCheckpoint[],
    observer: OperationObserver,
    signal: AbortSignal,
    budget: { left: number },
  ): Promise<ChainReport | undefined> {
    const { tenantId } = request;
    const { category } = head;
    const ranged = request.from !== undefined || request.to !== undefined;
    const signed = checkpoints.filter((c) => c.kind === 'signed');
    const retention = checkpoints.filter((c) => c.kind === 'retention').sort((a, b) => b.seq - a.seq)[0];
    // A range is walked between the chain places its events hold; the whole chain needs no such lookup.
    const range = ranged ? await this.rows.seqRange(pool, tenantId, category, { from: request.from, to: request.to }) : undefined;
    if (range === undefined && ranged) return undefined;
    // The walk's start: the stored link before a range; for the whole chain the last retention anchor (the events
    // before it were dropped with their day), else the genesis link.
    let anchor: ChainPoint = { seq: 0, hash: GENESIS.toString('hex') };
    let anchorKind: ChainReport['anchor']['kind'] = 'genesis';
    if (ranged && range !== undefined && range.first > 1) {
      // The place before the range may have gone with its day: its anchor then holds its link (with the keys, only a
      // signed anchor's: an unsigned one at a deleted place would make the range's cut look whole).
      const record = checkpoints.find(
        (c) =>
          c.kind === 'retention' &&
          c.seq === range.first - 1 &&
          (request.publicKeys === undefined || checkpointRecordVerifies(c, request.publicKeys)),
      );
      const link = (await this.rows.linkAt(pool, tenantId, category, range.first - 1)) ?? record?.hash;
      anchor = { seq: range.first - 1, hash: link ?? GENESIS.toString('hex') };
      anchorKind = 'stored-link';
    } else if (!ranged && retention !== undefined) {
      anchor = { seq: retention.seq, hash: retention.hash };
      anchorKind = 'retention';
    }
    const fromSeq = anchor.seq + 1;
    // A range with an end is walked one place past its last event when the chain goes on: that event links to the
    // range's last one, so a range whose newest events were deleted no longer ends cleanly at the last one left.
    const rangeEnd = ranged && request.to !== undefined && range !== undefined ? range.last : undefined;
    const toSeq = rangeEnd === undefined ? Number.MAX_SAFE_INTEGER : Math.min(rangeEnd + 1, head.seq);
    // The walk must reach the head, and every signed checkpoint past the anchor must be on it.
    const bySeq = new Map(signed.filter((c) => c.seq > anchor.seq && c.seq <= toSeq).map((c) => [c.seq, c]));
    const signedTop = Math.max(0, ...bySeq.keys());
    const to: ChainPoint | undefined = ranged && request.to !== undefined ? undefined : { seq: head.seq, hash: head.hash };
    const base = { category, first: fromSeq, anchor: { seq: anchor.seq, kind: anchorKind }, head: to ?? anchor };
    // The signed checkpoints the walk compared its links with, up to a place.
    const matched = (upTo: number): number => [...bySeq.keys()].filter((seq) => seq <= upTo).length;
    const broken = (finding: NonNullable<ChainReport['finding']>, checked: number): ChainReport => ({
      ...base,
      ok: false,
      checked,
      last: Math.max(fromSeq, finding.seq),
      finding,
      checkpoints: matched(finding.seq - 1),
    });
    const { publicKeys } = request;
    // Every signed checkpoint must verify with the keys, and so must the anchor, which decides where the walk starts,
    // past every event before it.
    const reliedOn = [...(anchorKind === 'retention' && retention !== undefined ? [retention] : []), ...signed];
    const untrusted = publicKeys === undefined ? undefined : reliedOn.find((c) => !checkpointRecordVerifies(c, publicKeys));
    if (untrusted !== undefined)
      return broken({ kind: 'checkpoint', seq: untrusted.seq, id: undefined, detail: untrustedDetail(untrusted) }, 0);
    observer.begin?.(`${tenantId}/${category}`, Math.max(0, (to?.seq ?? range?.last ?? 0) - fromSeq + 1));
    try {
      let from = anchor;
      let checked = 0;
      let after: ChainRow | undefined;
      let lookahead: ChainRow[] = [];
      const fetch = (from: ChainRow | undefined): Promise<{ rows: ChainRow[]; more: boolean }> =>
        this.rows.page(pool, { tenantId, category, fromSeq, toSeq }, from, PAGE, request.maxPageBytes);
      let next = fetch(after);
      for (;;) {
        throwIfAborted(signal, 'interrupted');
        const { rows: page, more } = await next;
        after = page.at(-1) ?? after;
        // The next page is read while this one is walked: PostgreSQL and the hashing overlap.
        next = more ? fetch(after) : Promise.resolve({ rows: [], more: false });
        const entries = [...lookahead, ...page];
        const last = !more;
        // The last entry is verified again with the next page, where the entry after it is known (a swap or an
        // alteration is told apart by its neighbour).
        const walk = last ? entries : entries.slice(0, -1);
        const verdict = verifyChain(walk, from, last ? to : undefined);
        if (!verdict.ok)
          return broken({ kind: verdict.finding, seq: verdict.seq, id: verdict.id, detail: verdict.detail }, checked + verdict.checked);
        const rewritten = offCheckpoint(walk, bySeq);
        if (rewritten !== undefined) {
          const { finding: kind, ...rest } = rewritten;
          return broken({ kind, ...rest }, checked + walk.findIndex((e) => e.seq === rewritten.seq));
        }
        checked += walk.length;
        budget.left -= walk.length;
        observer.advance?.(walk.length);
        from = verdict.head;
        if (!last && budget.left <= 0)
          return { ...base, ok: true, checked, last: from.seq, head: from, checkpoints: matched(from.seq), stopped: true };
        if (!last) {
          lookahead = entries.slice(-1);
          continue;
        }
        if (rangeEnd !== undefined && from.seq < toSeq)
          return broken(
            {
              kind: 'truncated',
              seq: from.seq + 1,
              id: undefined,
              detail: `no event holds place ${from.seq + 1}, though the chain goes on to ${head.seq}: deleted`,
            },
            checked,
          );
        if (from.seq < signedTop)
          return broken(
            {
              kind: 'truncated',
              seq: from.seq + 1,
              id: undefined,
              detail: `the chain ends at ${from.seq}; a signed checkpoint holds ${signedTop}`,
            },
            checked,
          );
        return { ...base, ok: true, checked, last: from.seq, head: to ?? from, checkpoints: matched(from.seq) };
      }
    } finally {
      observer.end?.();
    }
  }
}

/** Why a checkpoint the walk relies on is not trusted with the keys. */
function untrustedDetail(c: StoredCheckpoint): string {
  if (c.kind === 'signed') return `the checkpoint at ${c.seq} does not verify with key ${c.keyId ?? '(none)'}: forged or changed`;
  return c.signature === null
    ? `the retention anchor at ${c.seq} is not signed: written by hand, or by a materializer without VIGIL_CHAIN_SIGNING_KEYS (the next day's drop leaves a signed one)`
    : `the retention anchor at ${c.seq} does not verify with key ${c.keyId ?? '(none)'}: forged or changed`;
}
