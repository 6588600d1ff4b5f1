import type { AuditEvent } from '@vigil/events';
import { microsToTimestamp, type StoredAuditEvent } from '@vigil/store';

type Cell = string | number | null | undefined;

const COLUMNS: readonly [string, (e: AuditEvent) => Cell][] = [
  ['id', (e) => e.id],
  ['time', (e) => microsToTimestamp(e.time)],
  ['observed_time', (e) => microsToTimestamp(e.observedTime)],
  ['tenant_id', (e) => e.tenantId],
  ['category', (e) => e.category],
  ['action', (e) => e.action],
  ['outcome', (e) => e.outcome],
  ['severity', (e) => e.severity],
  ['actor_id', (e) => e.actor.id],
  ['actor_name', (e) => e.actor.name],
  ['actor_type', (e) => e.actor.type],
  ['actor_roles', (e) => e.actor.roles.join(';')],
  ['client_ip', (e) => e.client?.ip],
  ['user_agent', (e) => e.client?.userAgent],
  ['service_name', (e) => e.service.name],
  ['service_version', (e) => e.service.version],
  ['service_host', (e) => e.service.host],
  ['http_method', (e) => e.http?.method],
  ['http_url', (e) => e.http?.url],
  ['http_operation', (e) => e.http?.operation],
  ['http_status', (e) => e.http?.statusCode],
  ['correlation_id', (e) => e.correlationId],
  ['trace_id', (e) => e.traceId],
  ['span_id', (e) => e.spanId],
  ['description', (e) => e.description],
  ['targets', (e) => JSON.stringify(e.targets)],
  ['attributes', (e) => JSON.stringify(e.attributes)],
  ['payload', (e) => (e.payload === null ? null : JSON.stringify(e.payload))],
];

/**
 * RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. Null is an empty cell.
 * Producers control most text fields, and a spreadsheet runs a cell that starts with =, +, -, @, tab or
 * carriage return as a formula (CSV injection), so such a cell is prefixed with an apostrophe. A cell holding a
 * semicolon or a tab is quoted too: a spreadsheet in a locale whose list separator is `;` (German, French) splits an
 * unquoted `x;=HYPERLINK(…)` into cells, the second a formula; quoted, it stays one cell starting with `x`.
 */
export function cell(value: Cell): string {
  if (value == null) return '';
  const raw = String(value);
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_HEADER = `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

/** One event as a CSV record (CRLF-terminated), columns as in CSV_HEADER. */
export function csvLine(stored: StoredAuditEvent): string {
  return `${COLUMNS.map(([, value]) => cell(value(stored.event))).join(',')}\r\n`;
}

/** One event as an NDJSON line: the event as the API returns it, plus when the store wrote it. */
export function ndjsonLine(stored: StoredAuditEvent): string {
  const e = stored.event;
  return `${JSON.stringify({
    ...e,
    time: microsToTimestamp(e.time),
    observedTime: microsToTimestamp(e.observedTime),
    ingestedAt: stored.ingestedAt.toISOString(),
    // The event's place in its hash chain: `vigil verify --file` checks an export with it (docs/integrity.md).
    ...(stored.chain !== null && { chain: stored.chain }),
  })}\n`;
}
