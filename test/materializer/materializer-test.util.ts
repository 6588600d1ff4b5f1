import { SchemaStore } from '@vigil/testing';

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
}
