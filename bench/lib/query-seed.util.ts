import { Clock } from '@vigil/common';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { v7 as uuidv7 } from 'uuid';
import {
  AUDIT_EVENT_INSERT_COLUMNS,
  backfillRollups,
  copyLine,
  PartitionManager,
  runMigrations,
  toRow,
  type AuditEventRow,
} from '@vigil/store';
import type { AuditEvent } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';

export interface SeedOptions {
  databaseUrl: string;
  /** Schema to fill (created and migrated); default the URL's search_path. */
  schema?: string;
  events: number;
  tenants?: number;
  days?: number;
  /** Parallel COPY streams (each a connection). */
  streams?: number;
  onProgress?: (written: number) => void;
}

/** Actions by weight: mostly reads and logins, a few privilege changes; `outcome` FAILURE at the given rate. */
const ACTIONS: readonly [category: string, action: string, weight: number, failureRate: number][] = [
  ['authentication', 'user.login.succeeded', 30, 0],
  ['authentication', 'user.login.failed', 8, 1],
  ['authentication', 'user.logout.succeeded', 10, 0],
  ['object-access', 'liveboard.viewed', 25, 0.01],
  ['object-access', 'answer.exported', 6, 0.05],
  ['account-management', 'user.updated', 5, 0.02],
  ['role-privilege', 'role.assigned', 2, 0.05],
  ['application-change', 'config.updated', 2, 0.03],
  ['user-activity', 'search.performed', 12, 0],
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, a) => sum + a[2], 0);
const SERVICES = ['auth-service', 'content-service', 'admin-service', 'search-service', 'export-service'];

/** A small, fast, seeded PRNG (mulberry32), so a seed always produces the same data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tenant i gets weight 1/(i+1): a few big tenants and a long tail, as in a real multi-tenant SaaS. */
function tenantPicker(tenants: number, rnd: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < tenants; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = tenants - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function tenantName(i: number): string {
  return `tenant-${String(i).padStart(3, '0')}`;
}

/** One synthetic row; times ascend within a stream as the materializer would write them. */
function row(rnd: () => number, tenant: number, timeMicros: number, offset: number): AuditEventRow {
  let pick = rnd() * TOTAL_WEIGHT;
  let chosen = ACTIONS[0] ?? ['authentication', 'user.login.succeeded', 1, 0];
  for (const a of ACTIONS) {
    if ((pick -= a[2]) <= 0) {
      chosen = a;
      break;
    }
  }
  const [category, action, , failureRate] = chosen;
  const failed = rnd() < failureRate;
  const actor = Math.floor(rnd() ** 2 * 2000); // some actors far busier than others
  const ip = `10.${tenant % 250}.${Math.floor(rnd() * 64)}.${Math.floor(rnd() * 250)}`;
  // Through the store's own mapper, from the test factory's event: a new envelope field needs no change here.
  const event = {
    ...anAuditEvent(),
    id: uuidv7({ msecs: Math.floor(timeMicros / 1000) }),
    time: timeMicros,
    observedTime: timeMicros,
    tenantId: tenantName(tenant),
    category,
    action,
    outcome: failed ? 'FAILURE' : 'SUCCESS',
    severity: failed ? 'MEDIUM' : 'INFO',
    actor: { id: `user-${actor}`, name: `user${actor}@tenant${tenant}.example.com`, type: 'USER', roles: ['member'] },
    client: { ip, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' },
    service: { name: SERVICES[actor % SERVICES.length] ?? 'auth-service', version: '1.0.0', host: 'host-1' },
    http: { method: 'POST', url: '/api/v1/x', operation: null, statusCode: failed ? 401 : 200 },
    correlationId: `req-${offset}`,
    traceId: null,
    spanId: null,
    description: failed ? 'request refused: invalid credentials' : 'request completed',
    targets: [{ type: 'user', id: `user-${(actor * 7) % 2000}`, name: null }],
    payload: null,
    // One event in 10,000 carries a rare value, the needle of the query benchmark's selective free-text search.
    attributes: { region: 'eu-west-1', attempt: 1 + (offset % 3), ...(offset % 10_000 === 7 ? { signal: 'impossible-travel' } : {}) },
  } as AuditEvent;
  return toRow(event, { topic: `audit.${category}`, partition: tenant % 6, offset: String(offset) });
}

/**
 * Fills `audit_event` with `events` rows over the last `days` days for `tenants` tenants, with raw COPY on
 * several connections (no deduplication: ids are fresh UUIDv7s). Daily partitions are created first, so
 * rows land where the materializer would put them. Returns the seconds taken.
 */
export async function seedQueryStore(options: SeedOptions): Promise<number> {
  const started = process.hrtime.bigint();
  const { databaseUrl, schema, events } = options;
  const tenants = options.tenants ?? 50;
  const days = options.days ?? 30;
  const streams = options.streams ?? 2;
  if (schema) await runMigrations(databaseUrl, { schema });
  else await runMigrations(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: streams + 1, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  try {
    // As in production, an ended day's free-text index is built once, after its rows (docs/store.md, "Free text"):
    // the past days are made without it, as `vigil rebuild` makes them, and indexEndedDays builds them after the load.
    const partitions = new PartitionManager(pool, new Clock(), {
      retentionDays: days + 1,
      partitionsAheadDays: 2,
      indexAtCreation: false,
      indexConcurrently: false,
    });
    await partitions.maintain();
    const nowMicros = Date.now() * 1000;
    const spanMicros = days * 86_400e6;
    let written = 0;
    const perStream = Math.ceil(events / streams);
    await Promise.all(
      Array.from({ length: streams }, async (_, s) => {
        const count = Math.min(perStream, events - s * perStream);
        if (count <= 0) return;
        const rnd = random(1000 + s);
        const pickTenant = tenantPicker(tenants, rnd);
        const client = await pool.connect();
        try {
          const lines = (function* () {
            for (let i = 0; i < count; i++) {
              const time = nowMicros - spanMicros + Math.floor(((i + rnd()) * spanMicros) / count);
              yield copyLine(row(rnd, pickTenant(), time, s * perStream + i));
              if (++written % 100_000 === 0) options.onProgress?.(written);
            }
          })();
          await pipeline(
            Readable.from(lines),
            client.query(copyFrom(`COPY audit_event (${AUDIT_EVENT_INSERT_COLUMNS.join(', ')}) FROM STDIN`)),
          );
        } finally {
          client.release();
        }
      }),
    );
    // The raw COPY bypassed insertBatch, which maintains the rollups: compute them from the events.
    await backfillRollups(pool);
    await partitions.indexEndedDays();
    // VACUUM, not just ANALYZE: freshly COPYed pages are not all-visible yet, and index-only scans (top-N) need that.
    await pool.query('VACUUM (ANALYZE) audit_event, audit_event_hourly, audit_event_daily');
  } finally {
    await pool.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}
