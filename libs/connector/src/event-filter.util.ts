import { SEVERITIES, type AuditEvent, type Severity } from '@vigil/events';

export interface EventFilterOptions {
  include: readonly string[];
  exclude: readonly string[];
  minSeverity: Severity;
}

const STAR = 42; // '*'

/**
 * True when the dotted action matches the pattern: `*` stands for any run of characters (dots included), every other
 * character for itself. Matched without a regular expression, in at most action × pattern steps: the regular
 * expression it replaces backtracked exponentially, so a stream's pattern like `*a*a*a*a*a*a*a*a*a*a*b` (which a tenant
 * admin may set) took 27 s on one 40-character action, on the thread every tenant's streams share.
 */
export function matchesAction(action: string, pattern: string): boolean {
  let a = 0;
  let p = 0;
  // The last star seen, and the action position it is currently taken to end at.
  let star = -1;
  let resume = 0;
  while (a < action.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = p++;
      resume = a;
    } else if (c === action.charCodeAt(a)) {
      a++;
      p++;
    } else if (star !== -1) {
      // Let the last star take one more character and try the rest of the pattern from there.
      p = star + 1;
      a = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

/** Distinct actions a filter remembers its answer for; past it, it starts again (actions are few, patterns many). */
const MEMO_ACTIONS = 1024;

/** Which events a connector forwards: an included action, not excluded, at or above the minimum severity. */
export function eventFilter(options: EventFilterOptions): (event: AuditEvent) => boolean {
  const include = [...options.include];
  const exclude = [...options.exclude];
  const minRank = SEVERITIES.indexOf(options.minSeverity);
  // Up to 100 patterns each, tested for every event of the tenant: each action's answer is worked out once.
  const memo = new Map<string, boolean>();
  const actionPasses = (action: string): boolean => {
    let known = memo.get(action);
    if (known === undefined) {
      known = include.some((p) => matchesAction(action, p)) && !exclude.some((p) => matchesAction(action, p));
      if (memo.size >= MEMO_ACTIONS) memo.clear();
      memo.set(action, known);
    }
    return known;
  };
  return (event) => SEVERITIES.indexOf(event.severity) >= minRank && actionPasses(event.action);
}
