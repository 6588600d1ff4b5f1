import { SEVERITIES, type AuditEvent, type Severity } from '@vigil/events';

export interface EventFilterOptions {
  include: readonly string[];
  exclude: readonly string[];
  minSeverity: Severity;
}

/** True when the dotted action matches the pattern: `*` stands for any run of characters (dots included). */
export function matchesAction(action: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(action);
}

/** Which events a connector forwards: an included action, not excluded, at or above the minimum severity. */
export function eventFilter(options: EventFilterOptions): (event: AuditEvent) => boolean {
  const include = options.include.map((p) => compile(p));
  const exclude = options.exclude.map((p) => compile(p));
  const minRank = SEVERITIES.indexOf(options.minSeverity);
  return (event) =>
    SEVERITIES.indexOf(event.severity) >= minRank &&
    include.some((test) => test(event.action)) &&
    !exclude.some((test) => test(event.action));
}

function compile(pattern: string): (action: string) => boolean {
  return (action) => matchesAction(action, pattern);
}
