import { DAILY_ROLLUP_TABLE, HOURLY_ROLLUP_TABLE, PENDING_ROLLUP_TABLE, type RollupDimension } from './audit-event-rollup.util';
import { microsToTimestamp } from './audit-event.mapper';
import type { EventFilter, EventOrder, GroupBy, Keyset } from './event-filter.types';
import { TenantScope } from './tenant-scope.types';

/** A WHERE clause and its bind parameters ($1 ... $n, in order). */
export interface SqlWhere {
  sql: string;
  params: unknown[];
}

/** `%`, `_` and the escape character itself match literally in LIKE/ILIKE (backslash is PostgreSQL's default escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

const GROUP_COLUMNS: Record<GroupBy, string> = {
  ACTION: 'action',
  CATEGORY: 'category',
  OUTCOME: 'outcome',
  ACTOR: 'actor_id',
  CLIENT_IP: 'host(client_ip)',
  SERVICE: 'service_name',
};

/** The SQL expression a group key is read from (fixed strings, never user input). */
export function groupColumn(by: GroupBy): string {
  return GROUP_COLUMNS[by];
}

class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The character `audit_event_search_text` puts between the description, each attribute key and each value
 * (migration 1796400000000-AddFreeTextIndex). A needle without it matches the joined text exactly when one part
 * contains it; the query API refuses control characters in `text`, so every needle it sends qualifies.
 */
export const SEARCH_TEXT_SEPARATOR = '\x1f';

/**
 * The trigram index's expression (migration 1796600000000-FreeTextIndexOverJsonText): the description and the
 * attributes' jsonb text. It holds every part `audit_event_search_text` joins, a string part JSON-escaped.
 */
export const SEARCH_BLOB_SQL = `(coalesce(description, '') || ' ' || coalesce(attributes::text, ''))`;

/** A string as jsonb writes it inside quotes (PostgreSQL's escape_json): `"` and `\` escaped, control characters too. */
export function jsonEscaped(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what jsonb escapes
  return text.replace(/["\\\u0000-\u001f]/g, (ch) => JSON_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Whether the description, an attribute key, or a value (each element of an array value) contains the text, as
 * `textMatches` (event-match.util.ts) says of a decoded event. Keys and values, not the map's JSON text: jsonb's text
 * form (key order, `": "` separators) is PostgreSQL's, not JSON.stringify's. The exact test is one ILIKE over
 * `audit_event_search_text(description, attributes)` (in `audit_event_text_matches`); before it, the trigram index of
 * each day that has ended (`<partition>_search_trgm_idx`, PartitionManager.indexEndedDays) finds the rows whose `SEARCH_BLOB_SQL` holds the text as it is or JSON-escaped, a superset of the matches (the migration
 * says why), so PostgreSQL evaluates the exact test only on those.
 */
function textMatch(text: string, p: Params): string {
  if (text.includes(SEARCH_TEXT_SEPARATOR)) throw new Error('a text filter cannot hold U+001F (the separator of the searched parts)');
  const escaped = jsonEscaped(text);
  const candidates = [text, ...(escaped === text ? [] : [escaped])].map((n) => `${SEARCH_BLOB_SQL} ILIKE ${p.add(`%${escapeLike(n)}%`)}`);
  const indexed = candidates.length === 1 ? candidates[0] : `(${candidates.join(' OR ')})`;
  // The exact test through its STRICT wrapper, which the planner does not inline (migration 1796600000000 says why).
  const exact = `audit_event_text_matches(coalesce(description, ''), coalesce(attributes, 'null'::jsonb), ${p.add(`%${escapeLike(text)}%`)})`;
  return `(${indexed} AND ${exact})`;
}

/** `targets @> [{type, id}]`: an event with a target of that type and/or id (the filter's and a viewer's restriction's). */
function targetMatch(target: { type?: string; id?: string }, add: (value: unknown) => string): string {
  return `targets @> ${add(JSON.stringify([target]))}::jsonb`;
}

/**
 * The scope's predicates: `tenant_id = $n` (none for the all-tenants scope) and, for a viewer's restricted scope,
 * `actor_id = $n` and the target containment, the same SQL as the `actorId` and `targetType`/`targetId` filters.
 * `add` binds a value and returns its placeholder.
 */
export function scopePredicates(scope: TenantScope, add: (value: unknown) => string): string[] {
  if (!(scope instanceof TenantScope)) throw new Error('an event query needs a TenantScope');
  const clauses: string[] = [];
  if (scope.tenantId !== null) clauses.push(`tenant_id = ${add(scope.tenantId)}`);
  const restriction = scope.restriction;
  if (restriction?.actorId !== undefined) clauses.push(`actor_id = ${add(restriction.actorId)}`);
  if (restriction?.target !== undefined) clauses.push(targetMatch({ type: restriction.target.type, id: restriction.target.id }, add));
  return clauses;
}

/**
 * The WHERE clause of every event query: the scope's predicates first (the tenant, and a viewer's actor and
 * target), then the time range (which prunes the daily partitions), then each filter. Values are always bind
 * parameters.
 */
export function buildEventWhere(scope: TenantScope, filter: EventFilter, after?: Keyset, order: EventOrder = 'NEWEST_FIRST'): SqlWhere {
  if (!(scope instanceof TenantScope)) throw new Error('an event query needs a TenantScope');
  const p = new Params();
  const clauses: string[] = scopePredicates(scope, (value) => p.add(value));
  clauses.push(`time >= ${p.add(microsToTimestamp(filter.fromMicros))}::timestamptz`);
  clauses.push(`time < ${p.add(microsToTimestamp(filter.toMicros))}::timestamptz`);
  if (filter.categories?.length) clauses.push(`category = ANY(${p.add(filter.categories)}::text[])`);
  const actionClauses = [
    ...(filter.actions?.length ? [`action = ANY(${p.add(filter.actions)}::text[])`] : []),
    ...(filter.actionPrefixes ?? []).map((prefix) => `action LIKE ${p.add(`${escapeLike(prefix)}%`)}`),
  ];
  if (actionClauses.length === 1) clauses.push(actionClauses[0] ?? '');
  else if (actionClauses.length > 1) clauses.push(`(${actionClauses.join(' OR ')})`);
  if (filter.outcome) clauses.push(`outcome = ${p.add(filter.outcome)}`);
  if (filter.actorId !== undefined) clauses.push(`actor_id = ${p.add(filter.actorId)}`);
  if (filter.actorName !== undefined) clauses.push(`actor_name = ${p.add(filter.actorName)}`);
  if (filter.targetType !== undefined || filter.targetId !== undefined) {
    const target = {
      ...(filter.targetType !== undefined ? { type: filter.targetType } : {}),
      ...(filter.targetId !== undefined ? { id: filter.targetId } : {}),
    };
    clauses.push(targetMatch(target, (value) => p.add(value)));
  }
  if (filter.clientIp !== undefined) clauses.push(`client_ip ${filter.clientIpIsNetwork ? '<<=' : '='} ${p.add(filter.clientIp)}::inet`);
  if (filter.service !== undefined) clauses.push(`service_name = ${p.add(filter.service)}`);
  if (filter.correlationId !== undefined) clauses.push(`correlation_id = ${p.add(filter.correlationId)}`);
  if (filter.traceId !== undefined) clauses.push(`trace_id = ${p.add(filter.traceId)}`);
  if (filter.text !== undefined) clauses.push(textMatch(filter.text, p));
  if (after) {
    const op = order === 'NEWEST_FIRST' ? '<' : '>';
    const t = p.add(microsToTimestamp(Number(after.timeMicros)));
    clauses.push(`(time, id) ${op} (${t}::timestamptz, ${p.add(after.id)}::uuid)`);
  }
  return { sql: clauses.join(' AND '), params: p.values };
}

/** ORDER BY of a page: (time, id) in the index's order, so pages are keyset scans at any depth. */
export function orderBy(order: EventOrder): string {
  return order === 'NEWEST_FIRST' ? 'time DESC, id DESC' : 'time ASC, id ASC';
}

const HOUR_MICROS = 3600e6;
const DAY_MICROS = 86_400e6;
const ROLLUP_DIMENSION: Record<GroupBy, RollupDimension> = {
  ACTION: 'action',
  CATEGORY: 'category',
  OUTCOME: 'outcome',
  ACTOR: 'actor',
  CLIENT_IP: 'client_ip',
  SERVICE: 'service',
};
/** Filter fields the rollups can answer: the time range, and `outcome: FAILURE` (their `failures` column). */
const ROLLUP_FIELDS = new Set(['fromMicros', 'toMicros', 'toGiven', 'outcome']);

/**
 * The range a rollup query reads, in whole UTC hours, or null when the rollups cannot answer the filter: any
 * criterion but the time range and `outcome: FAILURE`, or a range shorter than 24 h not aligned to whole hours.
 * A range of 24 h or more is widened to whole hours (`from` down, `to` up): at most an hour more on each edge.
 */
export function rollupRange(filter: EventFilter): { fromMicros: number; toMicros: number } | null {
  for (const [field, value] of Object.entries(filter)) {
    if (ROLLUP_FIELDS.has(field) || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    return null;
  }
  if (filter.outcome !== undefined && filter.outcome !== 'FAILURE') return null;
  const aligned = filter.fromMicros % HOUR_MICROS === 0 && filter.toMicros % HOUR_MICROS === 0;
  if (!aligned && filter.toMicros - filter.fromMicros < DAY_MICROS) return null;
  return {
    fromMicros: Math.floor(filter.fromMicros / HOUR_MICROS) * HOUR_MICROS,
    toMicros: Math.ceil(filter.toMicros / HOUR_MICROS) * HOUR_MICROS,
  };
}

/**
 * Top-N over the rollups for a range from `rollupRange`: the whole UTC days inside it from `audit_event_daily`,
 * the hours at its edges from `audit_event_hourly`, and the counts of the whole range not yet folded into either from
 * `audit_event_rollup_pending` (one statement, so one snapshot: a fold moves counts from there to the rollups at
 * once, and the answer counts each event once). The tenant predicate comes from the scope, as in
 * `buildEventWhere`; the key and ordering match the query over `audit_event` (nulls are never rolled up). A scope
 * restricted to an actor or a target is refused: the rollups could not honour it.
 */
export function buildRollupTop(
  scope: TenantScope,
  range: { fromMicros: number; toMicros: number },
  by: GroupBy,
  failuresOnly: boolean,
  limit: number,
): SqlWhere {
  if (!(scope instanceof TenantScope)) throw new Error('an event query needs a TenantScope');
  // The rollups carry no actor or target: a viewer's restricted scope is answered from audit_event (AuditEventQueryRepository.top).
  if (scope.isRestricted) throw new Error('the rollups cannot answer a scope restricted to an actor or a target');
  const p = new Params();
  const tenant = scope.tenantId !== null ? `tenant_id = ${p.add(scope.tenantId)} AND ` : '';
  const dimension = `dimension = ${p.add(ROLLUP_DIMENSION[by])}`;
  const column = failuresOnly ? 'failures' : 'events';
  const at = (micros: number) => `${p.add(microsToTimestamp(micros))}::timestamptz`;
  const dayFrom = Math.ceil(range.fromMicros / DAY_MICROS) * DAY_MICROS;
  const dayTo = Math.floor(range.toMicros / DAY_MICROS) * DAY_MICROS;
  const parts: string[] = [];
  const hours = (from: number, to: number) => {
    if (from < to)
      parts.push(
        `SELECT value, ${column} AS n FROM ${HOURLY_ROLLUP_TABLE} WHERE ${tenant}${dimension} AND hour >= ${at(from)} AND hour < ${at(to)}`,
      );
  };
  if (dayFrom < dayTo) {
    hours(range.fromMicros, dayFrom);
    parts.push(
      `SELECT value, ${column} AS n FROM ${DAILY_ROLLUP_TABLE} WHERE ${tenant}${dimension} AND day >= ${at(dayFrom)} AND day < ${at(dayTo)}`,
    );
    hours(dayTo, range.toMicros);
  } else {
    hours(range.fromMicros, range.toMicros);
  }
  parts.push(
    `SELECT value, ${column} AS n FROM ${PENDING_ROLLUP_TABLE} WHERE ${tenant}${dimension} AND hour >= ${at(range.fromMicros)} AND hour < ${at(range.toMicros)}`,
  );
  const sql = `SELECT value AS key, sum(n)::int AS count FROM (${parts.join(' UNION ALL ')}) r
    GROUP BY 1 HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT ${limit}`;
  return { sql, params: p.values };
}
