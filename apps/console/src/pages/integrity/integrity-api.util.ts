// verifyIntegrity and checkpoints (docs/integrity.md) as the console uses them, and how a finding reads.

export interface IntegrityFinding {
  kind: string;
  seq: number;
  eventId: string | null;
  detail: string;
}

export interface IntegrityChain {
  category: string;
  ok: boolean;
  checked: number;
  firstSeq: number;
  lastSeq: number;
  anchorKind: string;
  anchorSeq: number;
  checkpoints: number;
  stopped: boolean;
  finding: IntegrityFinding | null;
}

export interface IntegrityReport {
  tenantId: string;
  from: string;
  to: string;
  categories: string[] | null;
  ok: boolean;
  complete: boolean;
  partial: string | null;
  checked: number;
  chains: IntegrityChain[];
  skippedCategories: string[];
  unchainedCount: number;
  unchainedIds: string[];
  signaturesChecked: boolean;
  durationMs: number;
}

export interface Checkpoint {
  tenantId: string;
  category: string;
  seq: number;
  hash: string;
  kind: string;
  at: string;
  keyId: string | null;
  signature: string | null;
}

export const VERIFY_INTEGRITY = `query VerifyIntegrity($from: String!, $to: String!, $categories: [String!]) {
  verifyIntegrity(from: $from, to: $to, categories: $categories) {
    tenantId from to categories ok complete partial checked skippedCategories unchainedCount unchainedIds signaturesChecked durationMs
    chains { category ok checked firstSeq lastSeq anchorKind anchorSeq checkpoints stopped finding { kind seq eventId detail } }
  }
}`;

export const CHECKPOINTS_QUERY = `query Checkpoints($from: String, $to: String) {
  checkpoints(from: $from, to: $to) { tenantId category seq hash kind at keyId signature }
}`;

const FINDINGS: Record<string, string> = {
  altered: 'Altered: the event’s content was changed after it was stored',
  deleted: 'Deleted: an event is missing from the chain',
  inserted: 'Inserted: an event was added that Vigil never chained',
  reordered: 'Reordered: events were swapped',
  truncated: 'Cut off: the chain ends before a signed checkpoint',
  checkpoint: 'Checkpoint: a signed checkpoint does not verify (forged or changed)',
};

/** What a finding kind means, in words. */
export function findingLabel(kind: string): string {
  return FINDINGS[kind] ?? kind;
}

/** Where a chain's walk started. */
export function anchorLabel(kind: string, seq: number): string {
  if (kind === 'genesis') return 'the start of the chain';
  if (kind === 'retention') return `retention anchor at ${seq}`;
  return `stored link at ${seq}`;
}

/** A duration in ms as a person reads it: 850 ms, 2.4 s, 1 min 5 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Only the checkpoints of the categories asked for (all when none). */
export function checkpointsOf(list: readonly Checkpoint[], categories: readonly string[]): Checkpoint[] {
  return list
    .filter((c) => categories.length === 0 || categories.includes(c.category))
    .sort((a, b) => b.at.localeCompare(a.at) || a.category.localeCompare(b.category));
}
