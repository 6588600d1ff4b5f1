import { AppProcess, SchemaStore, testEnv } from '@vigil/testing';

/** A fresh store in its own PostgreSQL schema, with the reads the materializer tests assert on. */
export class TestStore extends SchemaStore {
  constructor() {
    super('mat');
  }

  async count(tenantId: string): Promise<number> {
    const res = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.schema}.audit_event WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return Number(res.rows[0]?.n ?? 0);
  }

  async ids(tenantId: string): Promise<string[]> {
    const res = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.schema}.audit_event WHERE tenant_id = $1 ORDER BY id`, [
      tenantId,
    ]);
    return res.rows.map((r) => r.id);
  }

  /** The tenant's events as its rollups count them (the `outcome` dimension counts every event): folded, and pending. */
  async rolledUp(tenantId: string): Promise<{ folded: number; pending: number }> {
    const res = await this.pool.query<{ folded: string; pending: string }>(
      `SELECT (SELECT coalesce(sum(events), 0) FROM ${this.schema}.audit_event_hourly WHERE tenant_id = $1 AND dimension = 'outcome') AS folded,
              (SELECT coalesce(sum(events), 0) FROM ${this.schema}.audit_event_rollup_pending WHERE tenant_id = $1 AND dimension = 'outcome') AS pending`,
      [tenantId],
    );
    return { folded: Number(res.rows[0]?.folded ?? 0), pending: Number(res.rows[0]?.pending ?? 0) };
  }
}

/** The materializer as operators run it (the compiled app, a process of its own) in a consumer group of the test's. */
export function startMaterializer(databaseUrl: string, groupId: string, env: Record<string, string> = {}): Promise<AppProcess> {
  return new AppProcess('materializer', {
    DATABASE_URL: databaseUrl,
    MATERIALIZER_GROUP_ID: groupId,
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    ...env,
  }).start();
}
