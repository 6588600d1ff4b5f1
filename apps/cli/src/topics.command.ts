import { Command } from 'commander';
import { TopicsUseCase } from '@vigil/operations';
import type { CliConfig } from './cli.config';
import { printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';

const settingsOf = (config: CliConfig) => ({
  retentionDays: config.VIGIL_RETENTION_DAYS,
  replayMarginDays: config.VIGIL_REPLAY_MARGIN_DAYS,
  partitions: config.VIGIL_TOPIC_PARTITIONS,
  replicationFactor: config.VIGIL_TOPIC_REPLICATION_FACTOR,
});

export function topicsCommand(out: Output): Command {
  const topics = new Command('topics').description(
    'Kafka topics: one per audit category, the dead-letter topic audit.dlq, and the compacted vigil.* operations topics',
  );
  topics
    .command('apply')
    .description('create or update the topics (idempotent; never deletes or shrinks; keeps overrides set with Kafka tools)')
    .option(
      '--allow-partition-increase',
      'raise partition counts to VIGIL_TOPIC_PARTITIONS; tenants then move to other partitions, so their order across the change is lost',
    )
    .action(async (options: { allowPartitionIncrease?: boolean }) => {
      const results = await withOperations((app, config) =>
        app.get(TopicsUseCase).apply(settingsOf(config), { allowPartitionIncrease: options.allowPartitionIncrease === true }),
      );
      printTable(
        out,
        results.map((r) => ({ ...r })),
        results,
      );
    });
  topics
    .command('list')
    .description('the audit topics with their partitions and retention')
    .action(async () => {
      printTable(out, await withOperations((app) => app.get(TopicsUseCase).list()));
    });
  return topics;
}
