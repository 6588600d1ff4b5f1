import { userInfo } from 'node:os';
import { Command } from 'commander';
import { createPgPool } from '@vigil/store';
import pino from 'pino';
import { AuditPublisher, connectionOf } from '@vigil/audit-sdk';
import { databaseEnv, defineConfig, kafkaEnv, loadConfig, registryEnv } from '@vigil/config';
import {
  StreamAdminService,
  StreamErrorCode,
  StreamException,
  StreamRepository,
  StreamSecretCipher,
  streamPolicyEnv,
  type StreamActor,
  type StreamView,
} from '@vigil/streams';
import { CliError, printTable, type Output } from './cli.util';

const streamsConfigSchema = defineConfig({ ...databaseEnv, ...kafkaEnv, ...registryEnv, ...streamPolicyEnv });

/** The operator at the terminal: a platform actor (any tenant), named in the audit events of what they change. */
function operator(): StreamActor {
  return { tenantId: 'platform', platform: true, id: `cli:${userInfo().username}`, role: 'platform-admin' };
}

async function withStreams<T>(work: (streams: StreamAdminService, repository: StreamRepository) => Promise<T>): Promise<T> {
  const config = loadConfig(streamsConfigSchema);
  const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 2 });
  const publisher = new AuditPublisher({
    ...connectionOf(config, 'vigil-cli'),
    service: { name: 'vigil-cli' },
    retry: { retries: 3 },
  });
  const repository = new StreamRepository(pool);
  const streams = new StreamAdminService(
    repository,
    new StreamSecretCipher(config.VIGIL_STREAM_SECRET_KEYS),
    { publish: (input) => publisher.publish(input) },
    {
      allowInsecureHttp: config.VIGIL_STREAMS_ALLOW_INSECURE_HTTP,
      allowPrivateTargets: config.VIGIL_STREAMS_ALLOW_PRIVATE_TARGETS,
      maxPerTenant: config.VIGIL_STREAMS_MAX_PER_TENANT,
    },
    pino({ level: 'silent' }),
  );
  try {
    return await work(streams, repository);
  } catch (err) {
    if (err instanceof StreamException) throw new CliError(err.message, err.code === StreamErrorCode.INVALID ? 2 : 1);
    const message = (err as Error).message;
    if (/relation "vigil_stream" does not exist/.test(message))
      throw new CliError('the store has no streams table yet: run `npm run vigil -- migrations apply`');
    throw err;
  } finally {
    await publisher.close();
    await pool.end();
  }
}

function rowOf(s: StreamView): Record<string, string | number | boolean | null> {
  return {
    id: s.id,
    tenant: s.tenantId,
    name: s.name,
    type: s.type,
    state: !s.enabled ? 'paused' : s.suspendedAt !== undefined ? 'suspended' : (s.health?.state ?? 'not started'),
    'lag events': s.health?.lagEvents ?? null,
    'lag s': s.health === undefined ? null : Math.round(s.health.lagSeconds),
    'delivered 24h': s.health?.delivered24h ?? null,
    'last success': s.health?.lastSuccessAt?.toISOString() ?? null,
    'last error': s.health?.lastError === undefined ? null : s.health.lastError.slice(0, 80),
  };
}

/** The JSON form: the view without secrets (there are none in it) and with dates as ISO strings. */
function jsonOf(s: StreamView): unknown {
  return JSON.parse(JSON.stringify(s)) as unknown;
}

export function streamsCommand(out: Output): Command {
  const streams = new Command('streams').description(
    "per-tenant SIEM streams (managed by tenants' admins through the GraphQL API): list, status, reseal",
  );
  streams
    .command('list')
    .description('every stream (or one tenant’s) with its state, lag and last delivery, as the streams app last reported them')
    .option('--tenant <id>', 'only this tenant’s streams')
    .action(async (options: { tenant?: string }) => {
      const views = await withStreams((s) => s.list(operator(), options.tenant));
      printTable(out, views.map(rowOf), views.map(jsonOf));
    });
  streams
    .command('status <id>')
    .description('one stream: its settings (never its secrets), filters, state with the reason, lag, last success and last error')
    .action(async (id: string) => {
      const view = await withStreams((s) => s.get(operator(), id));
      if (out.json) return void process.stdout.write(`${JSON.stringify(jsonOf(view), null, 2)}\n`);
      const h = view.health;
      const lines = [
        `${view.name} (${view.id}) of tenant ${view.tenantId}: ${view.type}, ${view.enabled ? 'enabled' : 'disabled'}, version ${view.version}`,
        `state: ${rowOf(view)['state']}${h?.reason === undefined ? '' : ` (${h.reason})`}`,
        `lag: ${h?.lagEvents ?? '?'} records, ${h === undefined ? '?' : Math.round(h.lagSeconds)} s; delivered in 24 h: ${h?.delivered24h ?? '?'}; dead-lettered: ${h?.deadLetteredTotal ?? 0}`,
        `last success: ${h?.lastSuccessAt?.toISOString() ?? 'never'}; last error: ${h?.lastError === undefined ? 'none' : `${h.lastErrorAt?.toISOString() ?? ''} ${h.lastError}`}`,
        `secrets set: ${view.secretNames.join(', ') || 'none'}`,
        `config: ${JSON.stringify(view.config)}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  streams
    .command('reseal')
    .description(
      're-encrypt every stream’s secrets with the first key of VIGIL_STREAM_SECRET_KEYS (after adding a new key; docs/streams.md)',
    )
    .action(async () => {
      const result = await withStreams((s) => s.resealAll());
      process.stdout.write(
        out.json ? `${JSON.stringify(result)}\n` : `${result.resealed} of ${result.total} streams resealed with the current key\n`,
      );
    });
  return streams;
}

/** `vigil replay --stream <id> --from <time>`: asks the streams app to re-deliver, and waits until it took the request. */
export async function replayIntoStream(id: string, from: string, out: Output, waitMs = 30_000): Promise<void> {
  const at = new Date(from);
  if (Number.isNaN(at.getTime())) throw new CliError('--from must be an ISO-8601 time', 2);
  await withStreams(async (s, repository) => {
    await s.requestReplay(operator(), id, at);
    const deadline = Date.now() + waitMs;
    let taken = false;
    while (Date.now() < deadline && !taken) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      taken = (await repository.get(id, undefined))?.replayRequestedAt === undefined;
    }
    const message = taken
      ? `replay into stream ${id} from ${at.toISOString()} started: it catches up from there and rejoins the shared path (follow with \`vigil streams status ${id}\`)`
      : `replay into stream ${id} from ${at.toISOString()} recorded; no streams app took it within ${waitMs / 1000} s, so it starts when one runs`;
    process.stdout.write(out.json ? `${JSON.stringify({ stream: id, from: at.toISOString(), started: taken })}\n` : `${message}\n`);
  });
}
