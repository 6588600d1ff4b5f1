import type { KeyObject } from 'node:crypto';
import { verifyCheckpoint, type SignedCheckpoint } from './checkpoint.codec';
import { GENESIS, verifyChain, type ChainEntry, type ChainPoint, type ChainVerdict } from './hash-chain.util';

/** A checkpoint as the store holds it and the GraphQL `checkpoints` query answers it. */
export interface CheckpointRecord {
  tenantId: string;
  category: string;
  seq: number;
  hash: string;
  kind: 'signed' | 'retention';
  /** When the head was taken, ISO 8601 (what the signature covers). */
  at: string;
  keyId: string | null;
  signature: string | null;
}

/** True when a checkpoint record (a signed head or a retention anchor) verifies with the key of its `keyId` among `publicKeys`. */
export function checkpointRecordVerifies(checkpoint: CheckpointRecord, publicKeys: ReadonlyMap<string, KeyObject>): boolean {
  if (checkpoint.keyId === null || checkpoint.signature === null) return false;
  const signed: SignedCheckpoint = { ...checkpoint, keyId: checkpoint.keyId, signature: checkpoint.signature };
  return verifyCheckpoint(signed, publicKeys, checkpoint.kind);
}

/**
 * The first entry whose link is not the one the signed checkpoint at its place holds (`signed` by place): the chain
 * was rewritten up to there, every later link recomputed. Undefined when each checkpoint the entries reach matches.
 */
export function offCheckpoint(
  entries: readonly ChainEntry[],
  signed: ReadonlyMap<number, { hash: string }>,
): { finding: 'altered'; seq: number; id: string | undefined; detail: string } | undefined {
  const entry = entries.find((e) => {
    const checkpoint = signed.get(e.seq);
    return checkpoint !== undefined && checkpoint.hash.toLowerCase() !== e.hash.toLowerCase();
  });
  if (entry === undefined) return undefined;
  const id = entry.event['id'];
  return {
    finding: 'altered',
    seq: entry.seq,
    id: typeof id === 'string' ? id : undefined,
    detail: `event ${entry.seq}'s link is not the one its signed checkpoint holds: the chain was rewritten up to here`,
  };
}

export interface ExportChainReport {
  tenantId: string;
  category: string;
  first: number;
  last: number;
  anchor: 'genesis' | 'checkpoint' | 'first-line';
  /** Signed checkpoints inside the range whose link the export holds at their place. */
  checkpointsMatched: number;
  verdict: ChainVerdict | { ok: false; checked: number; finding: 'checkpoint'; seq: number; id: undefined; detail: string };
}

/** Epoch microseconds of an ISO-8601 UTC time with up to six fractional digits (as the export writes them). */
export function isoToMicros(value: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (match === null) throw new Error(`"${value.slice(0, 40)}" is not an ISO-8601 time`);
  const [, base = '', fraction = '', zone = 'Z'] = match;
  const seconds = Date.parse(`${base}${zone}`);
  if (Number.isNaN(seconds)) throw new Error(`"${value.slice(0, 40)}" is not an ISO-8601 time`);
  return seconds * 1000 + Number(fraction.padEnd(6, '0'));
}

interface ExportLine {
  tenantId: string;
  category: string;
  entry: ChainEntry;
}

/**
 * The chained events of an NDJSON export (GET /v1/events/export), as chain entries: each line's event with its times
 * back in microseconds and without what the store added (`ingestedAt`, `chain`). Lines without a chain position
 * (rows stored before the chain) are counted, not verified. Throws naming the line of anything unreadable.
 */
export function exportEntries(text: string): { lines: ExportLine[]; unchained: number } {
  const lines: ExportLine[] = [];
  let unchained = 0;
  for (const [index, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(raw) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`line ${index + 1}: not JSON (${(err as Error).message})`);
    }
    const { chain, ingestedAt: _ingestedAt, ...event } = record;
    const position = chain as { seq?: unknown; hash?: unknown } | undefined;
    if (position === undefined || position === null) {
      unchained++;
      continue;
    }
    if (typeof position.seq !== 'number' || typeof position.hash !== 'string' || !/^[0-9a-f]{64}$/i.test(position.hash))
      throw new Error(`line ${index + 1}: chain must be {"seq": number, "hash": 64 hex digits}`);
    for (const field of ['time', 'observedTime'] as const) {
      const value = event[field];
      if (typeof value === 'string') {
        try {
          event[field] = isoToMicros(value);
        } catch (err) {
          throw new Error(`line ${index + 1}: ${field}: ${(err as Error).message}`);
        }
      }
    }
    if (typeof event['tenantId'] !== 'string' || typeof event['category'] !== 'string')
      throw new Error(`line ${index + 1}: an event needs tenantId and category`);
    lines.push({ tenantId: event['tenantId'], category: event['category'], entry: { seq: position.seq, hash: position.hash, event } });
  }
  return { lines, unchained };
}

/**
 * Verifies an export offline: each tenant's chain of each category, in place order, from the genesis link (when it
 * starts at 1), from a checkpoint at the place before its first event, or else from its first event's own link (the
 * first event itself is then not proven). Every signed checkpoint must verify with `publicKeys` (when given) and every
 * one inside the range must hold the link the export has at its place.
 */
export function verifyExport(
  text: string,
  checkpoints: readonly CheckpointRecord[],
  publicKeys?: ReadonlyMap<string, KeyObject>,
): { chains: ExportChainReport[]; unchained: number } {
  const { lines, unchained } = exportEntries(text);
  const chains = new Map<string, ExportLine[]>();
  for (const line of lines) {
    const key = `${line.tenantId}\u0000${line.category}`;
    const chain = chains.get(key);
    if (chain === undefined) chains.set(key, [line]);
    else chain.push(line); // not a copy per line: an export of 80,000 lines took 46 s that way
  }
  const reports: ExportChainReport[] = [];
  for (const chainLines of chains.values()) {
    const [head] = chainLines;
    if (head === undefined) continue;
    const { tenantId, category } = head;
    const entries = chainLines.map((l) => l.entry).sort((a, b) => a.seq - b.seq);
    const first = entries[0] as ChainEntry;
    const last = entries.at(-1) as ChainEntry;
    const own = checkpoints.filter((c) => c.tenantId === tenantId && c.category === category);
    const base = { tenantId, category, first: first.seq, last: last.seq };
    const forged = own.find((c) => c.kind === 'signed' && publicKeys !== undefined && !checkpointRecordVerifies(c, publicKeys));
    if (forged !== undefined) {
      reports.push({
        ...base,
        anchor: 'first-line',
        checkpointsMatched: 0,
        verdict: {
          ok: false,
          checked: 0,
          finding: 'checkpoint',
          seq: forged.seq,
          id: undefined,
          detail: `the checkpoint at ${forged.seq} does not verify with key ${forged.keyId ?? '(none)'}: forged or changed`,
        },
      });
      continue;
    }
    let anchor: ChainPoint;
    let kind: ExportChainReport['anchor'];
    let walk = entries;
    // With the keys, only a checkpoint that verifies (a signed head, or a signed anchor) proves the first line's link.
    const before = own.find(
      (c) => c.seq === first.seq - 1 && (publicKeys === undefined || c.kind === 'signed' || checkpointRecordVerifies(c, publicKeys)),
    );
    if (first.seq === 1) [anchor, kind] = [{ seq: 0, hash: GENESIS.toString('hex') }, 'genesis'];
    else if (before !== undefined) [anchor, kind] = [{ seq: before.seq, hash: before.hash }, 'checkpoint'];
    else [anchor, kind, walk] = [{ seq: first.seq, hash: first.hash }, 'first-line', entries.slice(1)];
    const inRange = own.filter((c) => c.kind === 'signed' && c.seq > anchor.seq && c.seq <= last.seq);
    let verdict: ExportChainReport['verdict'] = verifyChain(walk, anchor);
    const rewritten = verdict.ok ? offCheckpoint(walk, new Map(inRange.map((c) => [c.seq, c]))) : undefined;
    if (rewritten !== undefined) verdict = { ok: false, checked: walk.length, ...rewritten };
    const places = new Set(walk.map((e) => e.seq));
    const matched = rewritten === undefined ? inRange.filter((c) => places.has(c.seq)).length : 0;
    reports.push({ ...base, anchor: kind, checkpointsMatched: matched, verdict });
  }
  return { chains: reports, unchained };
}

/** Checkpoints from a file: the GraphQL answer (`{"data":{"checkpoints":[...]}}`) or a plain array. */
export function parseCheckpoints(text: string): CheckpointRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the checkpoints are not JSON: expected the answer of the GraphQL checkpoints query, or an array of checkpoints');
  }
  const list = Array.isArray(doc) ? doc : (doc as { data?: { checkpoints?: unknown } }).data?.checkpoints;
  if (!Array.isArray(list)) throw new Error('no checkpoints array: expected {"data":{"checkpoints":[...]}} or [...]');
  return list.map((c, i) => {
    const r = c as Partial<CheckpointRecord>;
    if (typeof r.tenantId !== 'string' || typeof r.category !== 'string' || typeof r.seq !== 'number' || typeof r.hash !== 'string')
      throw new Error(`checkpoint ${i + 1} needs tenantId, category, seq and hash`);
    return {
      tenantId: r.tenantId,
      category: r.category,
      seq: r.seq,
      hash: r.hash,
      kind: r.kind === 'retention' ? 'retention' : 'signed',
      at: typeof r.at === 'string' ? r.at : '',
      keyId: r.keyId ?? null,
      signature: r.signature ?? null,
    };
  });
}
