// Not a benchmark: the seeder behind `npm run bench:seed -- --events 10000000`. Fills a store (DATABASE_URL,
// or --schema <name> in it) with realistic multi-tenant audit events over the last 30 days, with COPY.
// Run without --events (as `npm run bench` does with every file here) it prints its usage and does nothing.
import { parseArgs } from 'node:util';
import { benchEnv } from '@vigil/testing';
import { seedQueryStore } from './lib/query-seed.util';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      schema: { type: 'string' },
      tenants: { type: 'string', default: '50' },
      days: { type: 'string', default: '30' },
      streams: { type: 'string', default: '2' },
    },
  });
  if (values.events === undefined) {
    process.stdout.write('usage: npm run bench:seed -- --events <n> [--schema <name>] [--tenants 50] [--days 30] [--streams 2]\n');
    return;
  }
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1) throw new Error('--events must be a positive integer');
  const databaseUrl = benchEnv().DATABASE_URL;
  const seconds = await seedQueryStore({
    databaseUrl,
    ...(values.schema ? { schema: values.schema } : {}),
    events,
    tenants: Number(values.tenants),
    days: Number(values.days),
    streams: Number(values.streams),
    onProgress: (n) => process.stdout.write(`\r${n.toLocaleString('en')} events`),
  });
  process.stdout.write(
    `\nseeded ${events.toLocaleString('en')} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds).toLocaleString('en')} events/s)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
