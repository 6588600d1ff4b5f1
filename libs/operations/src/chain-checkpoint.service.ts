import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '@vigil/common';
import type { ActorType } from '@vigil/events';
import { signCheckpoint, type SignedCheckpoint, type SigningKey } from '@vigil/integrity';
import { ChainCheckpointRepository } from '@vigil/store';

/** The action of the event each signed checkpoint is published as (libs/events/catalog/events.yaml). */
export const CHECKPOINT_ACTION = 'audit.checkpoint.signed';

/** How a checkpoint event is published: the SDK's AuditPublisher (apps pass theirs). */
export interface CheckpointEventPublisher {
  publishMany(
    inputs: {
      action: typeof CHECKPOINT_ACTION;
      tenantId: string;
      actor: { id: string; type: ActorType };
      description: string;
      attributes: Record<string, string | number>;
    }[],
  ): Promise<unknown>;
}

/** Checkpoints are signed at most this often per chain unless asked (default: daily). */
export const CHECKPOINT_INTERVAL_MS = 24 * 3_600_000;

/** The `vigil.chain.*` attributes of a checkpoint event: the checkpoint whole, so a SIEM's copy verifies on its own. */
export function checkpointAttributes(checkpoint: SignedCheckpoint): Record<string, string | number> {
  return {
    'vigil.chain.category': checkpoint.category,
    'vigil.chain.seq': checkpoint.seq,
    'vigil.chain.hash': checkpoint.hash,
    'vigil.chain.at': checkpoint.at,
    'vigil.chain.keyId': checkpoint.keyId,
    'vigil.chain.signature': checkpoint.signature,
  };
}

/**
 * Signs the head of every chain that moved since its last signed checkpoint (at most once per `everyMs` unless forced),
 * publishes each as an `audit.checkpoint.signed` event of its tenant (so it reaches the tenant's SIEMs), then stores
 * it. Published first: a checkpoint the store holds was published; a run that failed between the two signs again.
 * One run at a time across instances (a PostgreSQL advisory lock): a second instance skips the run.
 */
export class ChainCheckpointer {
  private readonly checkpoints = new ChainCheckpointRepository();

  constructor(
    private readonly pool: Pool,
    private readonly key: SigningKey,
    private readonly publisher: CheckpointEventPublisher,
    private readonly clock: Clock,
    private readonly logger?: Pick<Logger, 'info'>,
  ) {}

  async run(options: { everyMs?: number; force?: boolean; tenantId?: string } = {}): Promise<SignedCheckpoint[]> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext('vigil.chain-checkpoints')) AS locked`,
      );
      if (rows[0]?.locked !== true) return [];
      try {
        const now = this.clock.now();
        const before =
          options.force === true ? new Date(now.getTime() + 1) : new Date(now.getTime() - (options.everyMs ?? CHECKPOINT_INTERVAL_MS));
        const due = await this.checkpoints.due(this.pool, before, options.tenantId);
        const signed = due.map((head) => signCheckpoint({ ...head, at: now.toISOString() }, this.key));
        for (let i = 0; i < signed.length; i += 500) {
          const part = signed.slice(i, i + 500);
          await this.publisher.publishMany(
            part.map((c) => ({
              action: CHECKPOINT_ACTION,
              tenantId: c.tenantId,
              actor: { id: 'vigil', type: 'SYSTEM' },
              description: `Signed checkpoint of the ${c.category} chain at ${c.seq}`,
              attributes: checkpointAttributes(c),
            })),
          );
          await this.checkpoints.insert(
            this.pool,
            part.map((c) => ({ ...c, kind: 'signed' as const, keyId: c.keyId, signature: c.signature })),
          );
        }
        if (signed.length > 0) this.logger?.info({ checkpoints: signed.length, keyId: this.key.id }, 'chain checkpoints signed');
        return signed;
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext('vigil.chain-checkpoints'))`);
      }
    } finally {
      client.release();
    }
  }
}
