import { Command, Option } from 'commander';
import pg from 'pg';
import { databaseEnv, defineConfig, loadConfig } from '@vigil/config';
import { createPgPool, API_KEY_ROLES, ApiKeyRepository, apiKeyEnv, type ApiKeyInfo, type ApiKeyRole } from '@vigil/store';
import { CliError, printTable, type Output } from './cli.util';

const apiKeysConfigSchema = defineConfig({ ...databaseEnv, ...apiKeyEnv });

async function withPool<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const config = loadConfig(apiKeysConfigSchema);
  const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 1 });
  try {
    return await work(pool);
  } catch (err) {
    const message = (err as Error).message;
    if (/relation "api_key" does not exist/.test(message))
      throw new CliError('the store has no api_key table yet: run `npm run vigil -- migrations apply`');
    if (/ECONNREFUSED|ENOTFOUND|password authentication/.test(message)) {
      throw new CliError(
        `cannot reach the store at ${new URL(config.DATABASE_URL).host}: ${message}. Run \`npm run stack:up\` or set DATABASE_URL.`,
      );
    }
    throw err;
  } finally {
    await pool.end();
  }
}

const row = (k: ApiKeyInfo) => ({
  id: k.id,
  prefix: k.prefix,
  tenant: k.tenantId,
  role: k.role,
  name: k.name,
  created: k.createdAt.toISOString(),
  revoked: k.revokedAt?.toISOString() ?? null,
});

export function apikeysCommand(out: Output): Command {
  const repository = new ApiKeyRepository();
  const apikeys = new Command('apikeys').description('API keys of the query API (stored hashed with VIGIL_API_KEY_PEPPER; shown once)');
  apikeys
    .command('create')
    .description('create a key for a tenant and role; the key is printed once and cannot be shown again')
    .requiredOption('--tenant <id>', 'tenant whose events the key reads')
    .addOption(
      new Option(
        '--role <role>',
        'analyst (read), ops (connectors, replay), admin (its own tenant) or platform-admin (may read every tenant: allTenants)',
      )
        .choices(API_KEY_ROLES)
        .makeOptionMandatory(),
    )
    .option('--name <name>', 'what the key is for')
    .action(async (options: { tenant: string; role: ApiKeyRole; name?: string }) => {
      const config = loadConfig(apiKeysConfigSchema);
      if (options.tenant.trim() === '') throw new CliError('--tenant must not be empty');
      const { key, info } = await withPool((pool) =>
        repository.create(pool, { tenantId: options.tenant, role: options.role, name: options.name ?? null }, config.VIGIL_API_KEY_PEPPER),
      );
      if (out.json) {
        process.stdout.write(`${JSON.stringify({ key, ...row(info) }, null, 2)}\n`);
        return;
      }
      printTable(out, [row(info)]);
      process.stdout.write(`\nkey (shown once; store it now): ${key}\nuse it as: Authorization: Bearer <key>\n`);
    });
  apikeys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--tenant <id>', 'only this tenant’s keys')
    .action(async (options: { tenant?: string }) => {
      const keys = await withPool((pool) => repository.list(pool, options.tenant));
      printTable(out, keys.map(row));
    });
  apikeys
    .command('revoke')
    .description('revoke a key by id; requests with it are refused from now on')
    .argument('<id>', 'the key id shown by create and list')
    .action(async (id: string) => {
      const revoked = await withPool((pool) => repository.revoke(pool, id));
      if (!revoked) throw new CliError(`no active API key has id ${id}`);
      printTable(out, [{ id, status: 'revoked' }], { id, revoked: true });
    });
  return apikeys;
}
