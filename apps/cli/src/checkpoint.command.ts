import { Command } from 'commander';
import { createPgPool } from '@vigil/store';
import { AuditPublisher, connectionOf } from '@vigil/audit-sdk';
import { Clock } from '@vigil/common';
import { databaseEnv, defineConfig, kafkaEnv, loadConfig, registryEnv } from '@vigil/config';
import { chainEnv, parseSigningKeys } from '@vigil/integrity';
import { ChainCheckpointer } from '@vigil/operations';
import { CliError, printTable, type Output } from './cli.util';

const checkpointConfigSchema = defineConfig({ ...databaseEnv, ...kafkaEnv, ...registryEnv, ...chainEnv });

export function checkpointCommand(out: Output): Command {
  return new Command('checkpoint')
    .description(
      'sign the head of every hash chain that moved since its last checkpoint, now (the materializer does it daily); each is stored and published as an audit.checkpoint.signed event',
    )
    .option('--tenant <id>', 'only this tenant’s chains')
    .action(async (options: { tenant?: string }) => {
      const config = loadConfig(checkpointConfigSchema);
      const [key] = parseSigningKeys(config.VIGIL_CHAIN_SIGNING_KEYS ?? '');
      if (key === undefined)
        throw new CliError('VIGIL_CHAIN_SIGNING_KEYS is not set: there is no key to sign checkpoints with (docs/integrity.md)');
      const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 2 });
      const publisher = new AuditPublisher({ ...connectionOf(config, 'vigil-cli-checkpoint'), service: { name: 'vigil-cli' } });
      try {
        const signed = await new ChainCheckpointer(pool, key, publisher, new Clock()).run({
          force: true,
          ...(options.tenant !== undefined && { tenantId: options.tenant }),
        });
        printTable(
          out,
          signed.map((c) => ({ tenant: c.tenantId, category: c.category, seq: c.seq, hash: c.hash, key: c.keyId })),
          signed,
        );
      } finally {
        await publisher.close();
        await pool.end();
      }
    });
}
