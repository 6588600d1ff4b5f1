import type { ClientBase } from 'pg';

/** A chain's head: its last event's place and link, and the Kafka record that event came from. */
export interface ChainHead {
  tenantId: string;
  category: string;
  seq: number;
  /** The last link, hex (64 zeros before the first event: the genesis link). */
  hash: string;
  topic: string;
  partition: number;
  /** The Kafka offset of the head's event (-1 before the first). */
  offset: bigint;
}

const GENESIS_HEX = '0'.repeat(64);

/** `audit_chain_head`: one row per tenant and category, locked and moved forward in the transaction that stores events. */
export class ChainHeadRepository {
  /**
   * The heads of these chains, locked until the transaction ends (FOR UPDATE): two transactions that chain the same
   * tenant's events (a rebalance hands a partition over while its old owner is still storing) take turns. A chain
   * without a head gets one at the genesis link first, so there is always a row to lock.
   */
  async lock(
    client: ClientBase,
    keys: readonly { tenantId: string; category: string; topic: string; partition: number }[],
  ): Promise<Map<string, ChainHead>> {
    // Sorted, so two transactions lock in the same order and never deadlock on each other.
    const first = new Map<string, (typeof keys)[number]>();
    for (const k of keys) if (!first.has(chainKey(k.tenantId, k.category))) first.set(chainKey(k.tenantId, k.category), k);
    const sorted = [...first.values()].sort((a, b) => (chainKey(a.tenantId, a.category) < chainKey(b.tenantId, b.category) ? -1 : 1));
    const tenants = sorted.map((k) => k.tenantId);
    const categories = sorted.map((k) => k.category);
    // A new head starts before the first offset of the partition its first event comes from.
    await client.query(
      `INSERT INTO audit_chain_head (tenant_id, category, seq, hash, kafka_topic, kafka_partition, kafka_offset)
       SELECT t, c, 0, decode($3, 'hex'), tp, p, -1 FROM unnest($1::text[], $2::text[], $4::text[], $5::int[]) AS k(t, c, tp, p)
       ON CONFLICT (tenant_id, category) DO NOTHING`,
      [tenants, categories, GENESIS_HEX, sorted.map((k) => k.topic), sorted.map((k) => k.partition)],
    );
    const { rows } = await client.query<{
      tenant_id: string;
      category: string;
      seq: string;
      hash: string;
      kafka_topic: string;
      kafka_partition: number;
      kafka_offset: string;
    }>(
      `SELECT h.tenant_id, h.category, h.seq, encode(h.hash, 'hex') AS hash, h.kafka_topic, h.kafka_partition, h.kafka_offset
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(t, c, n)
         JOIN audit_chain_head h ON h.tenant_id = k.t AND h.category = k.c
        ORDER BY k.n
          FOR UPDATE OF h`,
      [tenants, categories],
    );
    return new Map(
      rows.map((r) => [
        chainKey(r.tenant_id, r.category),
        {
          tenantId: r.tenant_id,
          category: r.category,
          seq: Number(r.seq),
          hash: r.hash,
          topic: r.kafka_topic,
          partition: r.kafka_partition,
          offset: BigInt(r.kafka_offset),
        },
      ]),
    );
  }

  /** Moves the heads forward (in the transaction that stored their events). */
  async save(client: ClientBase, heads: readonly ChainHead[]): Promise<void> {
    if (heads.length === 0) return;
    await client.query(
      `UPDATE audit_chain_head h
          SET seq = k.seq, hash = decode(k.hash, 'hex'), kafka_topic = k.topic, kafka_partition = k.partition,
              kafka_offset = k.off, updated_at = now()
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::bigint[])
              AS k(t, c, seq, hash, topic, partition, off)
        WHERE h.tenant_id = k.t AND h.category = k.c`,
      [
        heads.map((h) => h.tenantId),
        heads.map((h) => h.category),
        heads.map((h) => h.seq),
        heads.map((h) => h.hash),
        heads.map((h) => h.topic),
        heads.map((h) => h.partition),
        heads.map((h) => h.offset.toString()),
      ],
    );
  }
}

export function chainKey(tenantId: string, category: string): string {
  return `${tenantId}\u0000${category}`;
}
